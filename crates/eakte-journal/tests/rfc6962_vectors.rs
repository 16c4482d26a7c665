//! The published RFC 6962 SHA-256 test vectors (as used by the transparency-dev Merkle library):
//! roots of trees of 1 to 8 entries, and inclusion and consistency proofs, generated and verified.

use eakte_journal::merkle::{
    Hash, Sha256Hasher, TreeHasher, consistency_proof, inclusion_proof, root, verify_consistency,
    verify_inclusion,
};

fn h(hex_str: &str) -> Hash {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_str, &mut out).unwrap();
    out
}

/// The eight entries of the vectors.
fn entries() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|e| hex::decode(e).unwrap())
    .collect()
}

fn leaf_hashes() -> Vec<Hash> {
    entries()
        .iter()
        .map(|e| Sha256Hasher.hash_leaf(e))
        .collect()
}

/// Roots of the trees of the first 1 to 8 entries.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

#[test]
fn empty_tree_root_is_the_hash_of_nothing() {
    assert_eq!(
        root(&Sha256Hasher, &[]),
        h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
}

#[test]
fn roots_of_one_to_eight_entries() {
    let leaves = leaf_hashes();
    for (size, expected) in ROOTS.iter().enumerate().map(|(i, r)| (i + 1, h(r))) {
        assert_eq!(
            root(&Sha256Hasher, &leaves[..size]),
            expected,
            "size {size}"
        );
    }
}

#[test]
fn inclusion_proofs() {
    // (0-based leaf index, tree size, proof)
    let vectors: [(u64, usize, Vec<&str>); 5] = [
        (0, 1, vec![]),
        (
            0,
            8,
            vec![
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            vec![
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            vec!["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            vec![
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    let leaves = leaf_hashes();
    for (index, size, proof) in vectors {
        let expected: Vec<Hash> = proof.iter().map(|p| h(p)).collect();
        let generated = inclusion_proof(&Sha256Hasher, &leaves[..size], index).unwrap();
        assert_eq!(generated, expected, "leaf {index} of {size}");
        let root = h(ROOTS[size - 1]);
        verify_inclusion(
            &Sha256Hasher,
            index,
            size as u64,
            &leaves[index as usize],
            &expected,
            &root,
        )
        .unwrap_or_else(|e| panic!("leaf {index} of {size}: {e}"));
    }
}

#[test]
fn consistency_proofs() {
    let vectors: [(u64, usize, Vec<&str>); 5] = [
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            vec![
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            vec![
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            7,
            vec![
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    let leaves = leaf_hashes();
    for (old, new, proof) in vectors {
        let expected: Vec<Hash> = proof.iter().map(|p| h(p)).collect();
        let generated = consistency_proof(&Sha256Hasher, &leaves[..new], old).unwrap();
        assert_eq!(generated, expected, "{old} -> {new}");
        let (old_root, new_root) = (h(ROOTS[old as usize - 1]), h(ROOTS[new - 1]));
        verify_consistency(
            &Sha256Hasher,
            old,
            new as u64,
            &old_root,
            &new_root,
            &expected,
        )
        .unwrap_or_else(|e| panic!("{old} -> {new}: {e}"));
    }
}

#[test]
fn trivial_consistency_cases() {
    let a = h(ROOTS[0]);
    let b = h(ROOTS[1]);
    let empty = Sha256Hasher.empty_root();
    // An empty tree is a prefix of every tree; equal sizes need equal roots and an empty proof.
    assert!(verify_consistency(&Sha256Hasher, 0, 0, &a, &a, &[]).is_ok());
    assert!(verify_consistency(&Sha256Hasher, 0, 1, &a, &b, &[]).is_ok());
    assert!(verify_consistency(&Sha256Hasher, 1, 1, &b, &b, &[]).is_ok());
    assert!(verify_consistency(&Sha256Hasher, 1, 1, &a, &b, &[]).is_err());
    assert!(verify_consistency(&Sha256Hasher, 1, 0, &a, &b, &[]).is_err());
    assert!(verify_consistency(&Sha256Hasher, 2, 1, &a, &b, &[]).is_err());
    assert!(verify_consistency(&Sha256Hasher, 1, 2, &a, &b, &[]).is_err());
    assert!(verify_consistency(&Sha256Hasher, 0, 0, &empty, &empty, &[empty]).is_err());
    assert!(verify_consistency(&Sha256Hasher, 0, 1, &empty, &empty, &[empty]).is_err());
    assert!(verify_consistency(&Sha256Hasher, 1, 1, &empty, &empty, &[empty]).is_err());
}

#[test]
fn inclusion_outside_the_tree_is_refused() {
    let some = h(ROOTS[3]);
    for (index, size) in [(0, 0), (1, 0), (1, 1), (2, 1)] {
        assert!(verify_inclusion(&Sha256Hasher, index, size, &some, &[], &some).is_err());
    }
    // A one-entry tree: its root is its leaf hash, and the proof is empty.
    let leaf = Sha256Hasher.hash_leaf(b"data");
    assert!(verify_inclusion(&Sha256Hasher, 0, 1, &leaf, &[], &leaf).is_ok());
    assert!(verify_inclusion(&Sha256Hasher, 0, 1, &leaf, &[], &some).is_err());
}
