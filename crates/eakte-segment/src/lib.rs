//! Append-only segment files made of checksummed frames, shared by the blob store and the journal.
//!
//! A segment file starts with a [`SegmentHeader`] and continues with frames; each frame carries
//! its own header checksum and payload checksum, so that a reader can tell a torn tail (a crash
//! while writing) from damage in the middle of a file (bit rot), and resynchronise after damage.
//! [`GroupSync`] lets many writers share one `fsync`.

mod error;
mod frame;
mod group_sync;
mod rewrite;
mod scan;
mod segment;

pub use error::SegmentError;
pub use frame::{
    FRAME_HEADER_LEN, FRAME_MAGIC, FrameHeader, MAX_FRAME_PAYLOAD, encode_frame, frame_header,
};
pub use group_sync::{GroupSync, Position};
pub use rewrite::{Emit, RawFrame, Rewritten, rewrite_segment};
pub use scan::{ScanItem, Scanner};
pub use segment::{
    SEGMENT_HEADER_LEN, SegmentDir, SegmentHeader, create_dir_durably, create_segment, fsync_dir,
    keep_in_quarantine, lock_directory, write_file_durably,
};
