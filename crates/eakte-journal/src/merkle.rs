//! The Merkle tree of RFC 6962 (and RFC 9162, its successor): leaf hash `H(0x00 ‖ entry)`, node hash
//! `H(0x01 ‖ left ‖ right)`, trees of any size split at the largest power of two below it; inclusion
//! and consistency proofs, generated from leaf hashes and verified with the algorithms of RFC 9162
//! §2.1.3.2 and §2.1.4.2.
//!
//! The hash function is a parameter ([`TreeHasher`]): blake3 in production, SHA-256 so that the
//! published RFC 6962 test vectors run unchanged. Verification is strict: a proof must have exactly
//! the expected length and is consumed to the last element; an index outside the tree, an old size
//! above the new one, or any trailing element is an error.

/// A node or leaf hash: both hash functions used here give 32 bytes.
pub type Hash = [u8; 32];

/// The hash function of a tree.
pub trait TreeHasher {
    /// The hash of the empty tree (the hash of no bytes).
    fn empty_root(&self) -> Hash;
    /// `H(0x00 ‖ entry)`.
    fn hash_leaf(&self, entry: &[u8]) -> Hash;
    /// `H(0x01 ‖ left ‖ right)`.
    fn hash_children(&self, left: &Hash, right: &Hash) -> Hash;
}

/// SHA-256, as in RFC 6962.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sha256Hasher;

impl TreeHasher for Sha256Hasher {
    fn empty_root(&self) -> Hash {
        use sha2::Digest;
        sha2::Sha256::digest([]).into()
    }

    fn hash_leaf(&self, entry: &[u8]) -> Hash {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update([0u8]);
        h.update(entry);
        h.finalize().into()
    }

    fn hash_children(&self, left: &Hash, right: &Hash) -> Hash {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update([1u8]);
        h.update(left);
        h.update(right);
        h.finalize().into()
    }
}

/// blake3 in the same tree shape: the journal's hash in production.
#[derive(Debug, Clone, Copy, Default)]
pub struct Blake3Hasher;

impl TreeHasher for Blake3Hasher {
    fn empty_root(&self) -> Hash {
        *blake3::hash(&[]).as_bytes()
    }

    fn hash_leaf(&self, entry: &[u8]) -> Hash {
        let mut h = blake3::Hasher::new();
        h.update(&[0u8]);
        h.update(entry);
        *h.finalize().as_bytes()
    }

    fn hash_children(&self, left: &Hash, right: &Hash) -> Hash {
        let mut h = blake3::Hasher::new();
        h.update(&[1u8]);
        h.update(left);
        h.update(right);
        *h.finalize().as_bytes()
    }
}

/// Why a proof does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is outside a tree of {size} entries")]
    IndexOutOfRange {
        /// The index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The old tree is larger than the new one.
    #[error("old tree size {old} is larger than new tree size {new}")]
    SizeShrinks {
        /// The old size.
        old: u64,
        /// The new size.
        new: u64,
    },
    /// The proof has more or fewer elements than the sizes call for.
    #[error("the proof has the wrong number of elements")]
    WrongLength,
    /// The proof does not lead to the given root(s).
    #[error("the proof does not lead to the signed root")]
    RootMismatch,
}

/// One step up the tree in the walks of RFC 9162 §2.1.3.2 and §2.1.4.2: `f_n` is the node's index at
/// its level and `s_n` the last index there. Returns whether the next proof element is the node's
/// left sibling, and moves both indices up to the level of the parent the element completes.
fn climb(f_n: &mut u64, s_n: &mut u64) -> bool {
    let left = *f_n & 1 == 1 || *f_n == *s_n;
    if left && *f_n & 1 == 0 {
        // The node is the last at its level and has no right sibling: skip up to where it has one.
        while *f_n & 1 == 0 && *f_n != 0 {
            *f_n >>= 1;
            *s_n >>= 1;
        }
    }
    *f_n >>= 1;
    *s_n >>= 1;
    left
}

/// The largest power of two strictly below `n` (`n >= 2`).
pub(crate) fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// Where proofs get subtree roots from: a slice of leaf hashes ([`Leaves`]) that recomputes them,
/// or a store of node hashes ([`crate::tree::Levels`]) that looks them up.
pub trait Subtrees {
    /// The number of leaves.
    fn len(&self) -> u64;
    /// Whether there are no leaves.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The root of the subtree over leaves `start..end` (`start < end <= len`), as it sits in a
    /// tree of RFC 6962 shape.
    fn subtree_root(&self, start: u64, end: u64) -> Hash;
}

/// Leaf hashes and their hash function, computing subtree roots on demand (`O(n)` each).
pub struct Leaves<'a, H> {
    /// The hash function.
    pub hasher: &'a H,
    /// The leaf hashes, in order.
    pub leaves: &'a [Hash],
}

impl<H: TreeHasher> Subtrees for Leaves<'_, H> {
    fn len(&self) -> u64 {
        self.leaves.len() as u64
    }

    fn subtree_root(&self, start: u64, end: u64) -> Hash {
        root(self.hasher, &self.leaves[start as usize..end as usize])
    }
}

/// The root (`MTH`) over the given leaf hashes.
pub fn root(hasher: &impl TreeHasher, leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => hasher.empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n as u64) as usize;
            hasher.hash_children(&root(hasher, &leaves[..k]), &root(hasher, &leaves[k..]))
        }
    }
}

/// The inclusion proof (`PATH`) of leaf `index` in the tree over `leaves`, leaf side first; `None`
/// when the index is outside the tree.
///
/// This recomputes subtree roots from the leaf hashes; it serves tests and small trees.
pub fn inclusion_proof(hasher: &impl TreeHasher, leaves: &[Hash], index: u64) -> Option<Vec<Hash>> {
    let tree = Leaves { hasher, leaves };
    inclusion_proof_in(&tree, index, tree.len())
}

/// The inclusion proof of leaf `index` in the tree of the first `size` leaves of `tree`; `None`
/// when `index >= size` or `size` exceeds the leaves there are.
pub fn inclusion_proof_in(tree: &impl Subtrees, index: u64, size: u64) -> Option<Vec<Hash>> {
    fn path(tree: &impl Subtrees, start: u64, end: u64, m: u64, out: &mut Vec<Hash>) {
        let n = end - start;
        if n <= 1 {
            return;
        }
        let k = split(n);
        if m < start + k {
            path(tree, start, start + k, m, out);
            out.push(tree.subtree_root(start + k, end));
        } else {
            path(tree, start + k, end, m, out);
            out.push(tree.subtree_root(start, start + k));
        }
    }
    if index >= size || size > tree.len() {
        return None;
    }
    let mut out = Vec::new();
    path(tree, 0, size, index, &mut out);
    Some(out)
}

/// The consistency proof (`PROOF`) from the tree of the first `old_size` leaves to the tree over
/// all `leaves`; `None` when `old_size` is larger. Empty when `old_size` is 0 or all leaves.
pub fn consistency_proof(
    hasher: &impl TreeHasher,
    leaves: &[Hash],
    old_size: u64,
) -> Option<Vec<Hash>> {
    let tree = Leaves { hasher, leaves };
    consistency_proof_in(&tree, old_size, tree.len())
}

/// The consistency proof from the tree of the first `old_size` leaves of `tree` to the tree of
/// the first `new_size`; `None` when `old_size > new_size` or `new_size` exceeds the leaves there
/// are.
pub fn consistency_proof_in(
    tree: &impl Subtrees,
    old_size: u64,
    new_size: u64,
) -> Option<Vec<Hash>> {
    fn subproof(
        tree: &impl Subtrees,
        m: u64,
        start: u64,
        end: u64,
        whole: bool,
        out: &mut Vec<Hash>,
    ) {
        let n = end - start;
        if m == n {
            if !whole {
                out.push(tree.subtree_root(start, end));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            subproof(tree, m, start, start + k, whole, out);
            out.push(tree.subtree_root(start + k, end));
        } else {
            subproof(tree, m - k, start + k, end, false, out);
            out.push(tree.subtree_root(start, start + k));
        }
    }
    if old_size > new_size || new_size > tree.len() {
        return None;
    }
    let mut out = Vec::new();
    if old_size > 0 && old_size < new_size {
        subproof(tree, old_size, 0, new_size, true, &mut out);
    }
    Some(out)
}

/// Checks that `leaf_hash` is leaf `index` of the tree of `size` entries whose root is `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    hasher: &impl TreeHasher,
    index: u64,
    size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if s_n == 0 {
            return Err(ProofError::WrongLength);
        }
        r = if climb(&mut f_n, &mut s_n) {
            hasher.hash_children(p, &r)
        } else {
            hasher.hash_children(&r, p)
        };
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength);
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `old_size` entries with root `old_root` is a prefix of the tree of
/// `new_size` entries with root `new_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    hasher: &impl TreeHasher,
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizeShrinks {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == new_size || old_size == 0 {
        // Nothing to prove: an empty tree is a prefix of every tree, and a tree of the same size
        // must be the same tree.
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        if old_size == new_size && old_root != new_root {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }
    let Some((first, rest)) = proof.split_first() else {
        return Err(ProofError::WrongLength);
    };
    // When the old tree is a complete subtree, its root is the proof's implicit first element.
    let (start, rest) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        (first, rest)
    };
    let (mut f_n, mut s_n) = (old_size - 1, new_size - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut f_r, mut s_r) = (*start, *start);
    for c in rest {
        if s_n == 0 {
            return Err(ProofError::WrongLength);
        }
        if climb(&mut f_n, &mut s_n) {
            f_r = hasher.hash_children(c, &f_r);
            s_r = hasher.hash_children(c, &s_r);
        } else {
            s_r = hasher.hash_children(&s_r, c);
        }
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength);
    }
    if f_r != *old_root || s_r != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blake3_proofs_verify_and_differ_from_sha256() {
        let leaves: Vec<Hash> = (0u32..40)
            .map(|i| Blake3Hasher.hash_leaf(&i.to_le_bytes()))
            .collect();
        for size in 1..=leaves.len() {
            let tree = &leaves[..size];
            let r = root(&Blake3Hasher, tree);
            for index in 0..size as u64 {
                let proof = inclusion_proof(&Blake3Hasher, tree, index).unwrap();
                let leaf = &tree[index as usize];
                assert_eq!(
                    verify_inclusion(&Blake3Hasher, index, size as u64, leaf, &proof, &r),
                    Ok(())
                );
                // The same proof under the other hash function must fail.
                assert!(
                    verify_inclusion(&Sha256Hasher, index, size as u64, leaf, &proof, &r).is_err()
                        || size == 1
                );
            }
            for old in 0..=size as u64 {
                let old_root = root(&Blake3Hasher, &tree[..old as usize]);
                let proof = consistency_proof(&Blake3Hasher, tree, old).unwrap();
                assert_eq!(
                    verify_consistency(&Blake3Hasher, old, size as u64, &old_root, &r, &proof),
                    Ok(())
                );
            }
        }
        assert_ne!(Blake3Hasher.hash_leaf(b"x"), Sha256Hasher.hash_leaf(b"x"));
        assert_ne!(Blake3Hasher.empty_root(), Sha256Hasher.empty_root());
    }

    #[test]
    fn out_of_range_requests_give_no_proof() {
        let leaves = [Blake3Hasher.hash_leaf(b"a"), Blake3Hasher.hash_leaf(b"b")];
        assert_eq!(inclusion_proof(&Blake3Hasher, &leaves, 2), None);
        assert_eq!(consistency_proof(&Blake3Hasher, &leaves, 3), None);
        assert_eq!(
            consistency_proof(&Blake3Hasher, &leaves, 0),
            Some(Vec::new())
        );
        assert_eq!(
            consistency_proof(&Blake3Hasher, &leaves, 2),
            Some(Vec::new())
        );
    }
}
