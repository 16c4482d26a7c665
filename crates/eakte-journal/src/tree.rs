//! Growing trees: [`Levels`] keeps every complete node hash so that roots and proofs of any past
//! size cost `O(log² n)` lookups; [`Frontier`] keeps only the right edge (a compact range), enough
//! to extend a tree leaf by leaf and know its root at every size, in `O(log n)` memory.

use crate::merkle::{Hash, Subtrees, TreeHasher, split};

/// All complete node hashes of a tree that grows at the right: `levels[0]` are the leaf hashes,
/// `levels[l][i]` the root of leaves `i·2^l .. (i+1)·2^l`.
#[derive(Debug, Clone)]
pub struct Levels<H> {
    hasher: H,
    levels: Vec<Vec<Hash>>,
}

impl<H: TreeHasher> Levels<H> {
    /// An empty tree.
    pub fn new(hasher: H) -> Self {
        Self {
            hasher,
            levels: vec![Vec::new()],
        }
    }

    /// Appends a leaf hash and every node it completes.
    pub fn push(&mut self, leaf: Hash) {
        self.levels[0].push(leaf);
        let mut level = 0;
        while self.levels[level].len().is_multiple_of(2) {
            let nodes = &self.levels[level];
            let parent = self
                .hasher
                .hash_children(&nodes[nodes.len() - 2], &nodes[nodes.len() - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<&Hash> {
        self.levels[0].get(usize::try_from(index).ok()?)
    }

    /// The root of the tree of the first `size` leaves; `None` when there are fewer.
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        match size {
            0 => Some(self.hasher.empty_root()),
            s if s > self.len() => None,
            s => Some(self.subtree_root(0, s)),
        }
    }

    /// The hash function.
    pub fn hasher(&self) -> &H {
        &self.hasher
    }
}

impl<H: TreeHasher> Subtrees for Levels<H> {
    fn len(&self) -> u64 {
        self.levels[0].len() as u64
    }

    fn subtree_root(&self, start: u64, end: u64) -> Hash {
        let n = end - start;
        if n.is_power_of_two() && start.is_multiple_of(n) {
            let level = n.trailing_zeros() as usize;
            return self.levels[level][(start / n) as usize];
        }
        let k = split(n);
        self.hasher.hash_children(
            &self.subtree_root(start, start + k),
            &self.subtree_root(start + k, end),
        )
    }
}

/// The right edge of a tree: the roots of its largest complete subtrees, left to right (one per
/// set bit of the size, the highest first). Enough to append leaves and compute the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    nodes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn empty() -> Self {
        Self {
            size: 0,
            nodes: Vec::new(),
        }
    }

    /// A frontier of a tree of `size` leaves from its subtree roots; `None` when their number does
    /// not match the size (one per set bit).
    pub fn from_parts(size: u64, nodes: Vec<Hash>) -> Option<Self> {
        (nodes.len() == size.count_ones() as usize).then_some(Self { size, nodes })
    }

    /// The frontier of the first `size` leaves of `tree`; `None` when it has fewer.
    pub fn of(tree: &impl Subtrees, size: u64) -> Option<Self> {
        if size > tree.len() {
            return None;
        }
        let mut nodes = Vec::new();
        let mut start = 0;
        for bit in (0..64).rev() {
            let width = 1u64 << bit;
            if size & width != 0 {
                nodes.push(tree.subtree_root(start, start + width));
                start += width;
            }
        }
        Some(Self { size, nodes })
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The subtree roots, left to right.
    pub fn nodes(&self) -> &[Hash] {
        &self.nodes
    }

    /// Appends one leaf hash.
    pub fn push(&mut self, hasher: &impl TreeHasher, leaf: Hash) {
        let mut node = leaf;
        // Each trailing one bit of the old size is a complete subtree of the same height as the
        // growing node: merge them.
        let mut size = self.size;
        while size & 1 == 1 {
            let left = self.nodes.pop().expect("one node per set bit");
            node = hasher.hash_children(&left, &node);
            size >>= 1;
        }
        self.nodes.push(node);
        self.size += 1;
    }

    /// The root of the tree (`MTH`).
    pub fn root(&self, hasher: &impl TreeHasher) -> Hash {
        let mut nodes = self.nodes.iter().rev();
        let Some(last) = nodes.next() else {
            return hasher.empty_root();
        };
        nodes.fold(*last, |acc, left| hasher.hash_children(left, &acc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{
        Blake3Hasher, Sha256Hasher, consistency_proof, consistency_proof_in, inclusion_proof,
        inclusion_proof_in, root,
    };

    fn leaves(n: u32) -> Vec<Hash> {
        (0..n)
            .map(|i| Sha256Hasher.hash_leaf(&i.to_be_bytes()))
            .collect()
    }

    #[test]
    fn levels_and_frontier_agree_with_recomputation_at_every_size() {
        let all = leaves(130);
        let mut levels = Levels::new(Sha256Hasher);
        let mut frontier = Frontier::empty();
        assert_eq!(frontier.root(&Sha256Hasher), Sha256Hasher.empty_root());
        for (i, leaf) in all.iter().enumerate() {
            levels.push(*leaf);
            frontier.push(&Sha256Hasher, *leaf);
            let size = i as u64 + 1;
            let expected = root(&Sha256Hasher, &all[..=i]);
            assert_eq!(levels.root_at(size), Some(expected), "size {size}");
            assert_eq!(frontier.root(&Sha256Hasher), expected, "size {size}");
            assert_eq!(Frontier::of(&levels, size).as_ref(), Some(&frontier));
        }
        assert_eq!(levels.root_at(131), None);
    }

    #[test]
    fn proofs_from_levels_equal_proofs_from_leaves() {
        let all = leaves(70);
        let mut levels = Levels::new(Sha256Hasher);
        all.iter().for_each(|leaf| levels.push(*leaf));
        for size in 1..=70u64 {
            let prefix = &all[..size as usize];
            for index in 0..size {
                assert_eq!(
                    inclusion_proof_in(&levels, index, size),
                    inclusion_proof(&Sha256Hasher, prefix, index)
                );
            }
            for old in 0..=size {
                assert_eq!(
                    consistency_proof_in(&levels, old, size),
                    consistency_proof(&Sha256Hasher, prefix, old)
                );
            }
        }
        assert_eq!(inclusion_proof_in(&levels, 3, 71), None);
        assert_eq!(consistency_proof_in(&levels, 5, 4), None);
    }

    #[test]
    fn a_frontier_must_have_one_node_per_set_bit() {
        let h = Blake3Hasher.hash_leaf(b"x");
        assert!(Frontier::from_parts(5, vec![h, h]).is_some());
        assert!(Frontier::from_parts(5, vec![h]).is_none());
        assert!(Frontier::from_parts(0, vec![h]).is_none());
    }
}
