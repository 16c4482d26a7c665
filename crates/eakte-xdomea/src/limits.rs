//! Limits applied to untrusted input: a message from outside is read only within these bounds.

/// Largest input accepted by the readers, zip or bare XML.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Most entries a zip container may list; a disposition answer holds one XML file.
pub const MAX_ZIP_ENTRIES: u64 = 1000;

/// Most bytes inflated from one zip entry, counted while inflating (the sizes in the zip headers
/// are not trusted).
pub const MAX_ENTRY_BYTES: u64 = 64 * 1024 * 1024;

/// Most bytes inflated from a container in total.
pub const MAX_TOTAL_BYTES: u64 = 64 * 1024 * 1024;

/// Largest message XML.
pub const MAX_XML_BYTES: u64 = 64 * 1024 * 1024;

/// Deepest element nesting accepted; xdomea messages nest Akte, Teilakte, Vorgang and
/// Teilvorgang, but real ones stay far below this.
pub const MAX_DEPTH: usize = 128;
