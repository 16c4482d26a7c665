//! The blake3 tree over pieces: a blob id computed from per-piece chaining values.
//!
//! blake3 hashes its input as a left-balanced binary tree of 1 KiB chunks. Pieces are 1 MiB, a
//! power of two, so each piece is a whole subtree and the blob id is the root of a tree over the
//! pieces' chaining values, split the same way (the left part holds the largest power of two of
//! pieces smaller than the whole). Storing each piece's chaining value lets a reader check a piece
//! before handing out its bytes, with one pass of hashing in all.

use blake3::hazmat::{
    ChainingValue, HasherExt, Mode, merge_subtrees_non_root, merge_subtrees_root,
};
use eakte_types::BlobId;

use crate::record::PIECE_LEN;

/// A hasher positioned at piece `index` of a blob.
pub(crate) fn piece_hasher(index: u64) -> blake3::Hasher {
    let mut hasher = blake3::Hasher::new();
    hasher.set_input_offset(index * PIECE_LEN as u64);
    hasher
}

/// The chaining value of a piece hashed with [`piece_hasher`]; only for blobs of two or more pieces.
pub(crate) fn piece_cv(hasher: &blake3::Hasher) -> ChainingValue {
    hasher.finalize_non_root()
}

fn split(n: usize) -> usize {
    // The largest power of two strictly smaller than n (n >= 2).
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

fn subtree(cvs: &[ChainingValue]) -> ChainingValue {
    if cvs.len() == 1 {
        return cvs[0];
    }
    let k = split(cvs.len());
    merge_subtrees_non_root(&subtree(&cvs[..k]), &subtree(&cvs[k..]), Mode::Hash)
}

/// The blob id of a blob of two or more pieces, from their chaining values; `None` for fewer
/// (a one-piece blob's id is the plain hash of its bytes).
pub(crate) fn root(cvs: &[ChainingValue]) -> Option<BlobId> {
    if cvs.len() < 2 {
        return None;
    }
    let k = split(cvs.len());
    let hash = merge_subtrees_root(&subtree(&cvs[..k]), &subtree(&cvs[k..]), Mode::Hash);
    Some(BlobId::from_bytes(*hash.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_from_pieces(data: &[u8]) -> BlobId {
        let pieces: Vec<&[u8]> = data.chunks(PIECE_LEN).collect();
        if pieces.len() <= 1 {
            return BlobId::from_bytes(*blake3::hash(data).as_bytes());
        }
        let cvs: Vec<ChainingValue> = pieces
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut h = piece_hasher(i as u64);
                h.update(p);
                piece_cv(&h)
            })
            .collect();
        root(&cvs).unwrap()
    }

    #[test]
    fn split_is_largest_smaller_power_of_two() {
        assert_eq!(split(2), 1);
        assert_eq!(split(3), 2);
        assert_eq!(split(4), 2);
        assert_eq!(split(5), 4);
        assert_eq!(split(9), 8);
    }

    #[test]
    fn piece_tree_equals_plain_blake3() {
        let data: Vec<u8> = (0..9 * PIECE_LEN + 777)
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        let p = PIECE_LEN;
        for len in [
            0,
            1,
            p - 1,
            p,
            p + 1,
            2 * p,
            2 * p + 1,
            3 * p,
            4 * p + 5,
            5 * p,
            7 * p + 1023,
            8 * p,
            9 * p + 777,
        ] {
            assert_eq!(
                id_from_pieces(&data[..len]),
                BlobId::from_bytes(*blake3::hash(&data[..len]).as_bytes()),
                "length {len}"
            );
        }
    }
}
