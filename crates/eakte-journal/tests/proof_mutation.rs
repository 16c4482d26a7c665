//! Proof mutation: for every tree size from 1 to 256, every valid inclusion proof and every valid
//! consistency proof is corrupted in every way an attacker or a bug could — wrong index or sizes,
//! wrong leaf or roots, elements appended, prepended, removed or inserted, every single-bit flip,
//! swapped roots, sizes in the wrong order — and not one corrupted proof may verify.

use eakte_journal::merkle::{
    Hash, Sha256Hasher, TreeHasher, consistency_proof, inclusion_proof, root, verify_consistency,
    verify_inclusion,
};

const MAX_SIZE: u64 = 256;

fn leaves() -> Vec<Hash> {
    (0..MAX_SIZE)
        .map(|i| Sha256Hasher.hash_leaf(&i.to_le_bytes()))
        .collect()
}

/// Every way of damaging a list of proof elements, with a name for the report.
fn damaged_proofs(proof: &[Hash], root: &Hash, other: &Hash) -> Vec<(String, Vec<Hash>)> {
    let mut out = Vec::new();
    for (name, extra) in [
        ("zeros", [0u8; 32]),
        ("root", *root),
        ("other root", *other),
    ] {
        let mut appended = proof.to_vec();
        appended.push(extra);
        out.push((format!("{name} appended"), appended));
        let mut prepended = vec![extra];
        prepended.extend_from_slice(proof);
        out.push((format!("{name} prepended"), prepended));
        for at in 1..proof.len() {
            let mut inserted = proof.to_vec();
            inserted.insert(at, extra);
            out.push((format!("{name} inserted at {at}"), inserted));
        }
    }
    for at in 0..proof.len() {
        let mut removed = proof.to_vec();
        removed.remove(at);
        out.push((format!("element {at} removed"), removed));
        let mut doubled = proof.to_vec();
        doubled.insert(at, proof[at]);
        out.push((format!("element {at} doubled"), doubled));
        for bit in 0..256 {
            let mut flipped = proof.to_vec();
            flipped[at][bit / 8] ^= 1 << (bit % 8);
            out.push((format!("element {at} bit {bit} flipped"), flipped));
        }
    }
    out
}

/// Runs `check` for every tree size from 1 to `MAX_SIZE`, the sizes shared out over all cores, and
/// fails if any check recorded a corrupted proof that verified.
fn sweep(check: impl Fn(u64, &[Hash], &mut Vec<String>) + Sync) {
    let leaves = leaves();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let results: Vec<(u64, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (leaves, check) = (&leaves, &check);
                scope.spawn(move || {
                    let mut accepted = Vec::new();
                    let mut sizes = 0;
                    for size in (1..=MAX_SIZE).filter(|s| s % threads == t) {
                        check(size, &leaves[..size as usize], &mut accepted);
                        sizes += 1;
                    }
                    (sizes, accepted)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let sizes: u64 = results.iter().map(|r| r.0).sum();
    let accepted: Vec<String> = results.into_iter().flat_map(|r| r.1).collect();
    assert_eq!(sizes, MAX_SIZE, "every size must be checked");
    assert!(
        accepted.is_empty(),
        "{} corrupted proofs accepted, e.g. {:?}",
        accepted.len(),
        &accepted[..accepted.len().min(10)]
    );
}

#[test]
fn no_corrupted_inclusion_proof_verifies() {
    let h = Sha256Hasher;
    sweep(|size, leaves, accepted| {
        let good_root = root(&h, leaves);
        let other_root = h.hash_leaf(b"some other tree");
        let empty_root = h.empty_root();
        for index in 0..size {
            let leaf = leaves[index as usize];
            let proof = inclusion_proof(&h, leaves, index).unwrap();
            verify_inclusion(&h, index, size, &leaf, &proof, &good_root)
                .unwrap_or_else(|e| panic!("valid proof {index}/{size} refused: {e}"));
            let mut claims: Vec<(String, u64, u64, Hash, Vec<Hash>, Hash)> = vec![
                (
                    "index - 1".into(),
                    index.wrapping_sub(1),
                    size,
                    leaf,
                    proof.clone(),
                    good_root,
                ),
                (
                    "index + 1".into(),
                    index + 1,
                    size,
                    leaf,
                    proof.clone(),
                    good_root,
                ),
                (
                    "size * 2".into(),
                    index,
                    size * 2,
                    leaf,
                    proof.clone(),
                    good_root,
                ),
                (
                    "size / 2".into(),
                    index,
                    size / 2,
                    leaf,
                    proof.clone(),
                    good_root,
                ),
                (
                    "wrong leaf".into(),
                    index,
                    size,
                    h.hash_leaf(b"wrong"),
                    proof.clone(),
                    good_root,
                ),
                (
                    "empty root".into(),
                    index,
                    size,
                    leaf,
                    proof.clone(),
                    empty_root,
                ),
                (
                    "other root".into(),
                    index,
                    size,
                    leaf,
                    proof.clone(),
                    other_root,
                ),
            ];
            if size > 1 {
                let neighbour = leaves[((index + 1) % size) as usize];
                claims.push((
                    "neighbour's leaf".into(),
                    index,
                    size,
                    neighbour,
                    proof.clone(),
                    good_root,
                ));
            }
            for (name, damaged) in damaged_proofs(&proof, &good_root, &other_root) {
                claims.push((name, index, size, leaf, damaged, good_root));
            }
            for (name, i, s, l, p, r) in claims {
                if verify_inclusion(&h, i, s, &l, &p, &r).is_ok() {
                    accepted.push(format!("inclusion {index}/{size}: {name}"));
                }
            }
        }
    });
}

#[test]
fn no_corrupted_consistency_proof_verifies() {
    let h = Sha256Hasher;
    sweep(|new, leaves, accepted| {
        let new_root = root(&h, leaves);
        let other_root = h.hash_leaf(b"some other tree");
        for old in 1..=new {
            let old_root = root(&h, &leaves[..old as usize]);
            let proof = consistency_proof(&h, leaves, old).unwrap();
            verify_consistency(&h, old, new, &old_root, &new_root, &proof)
                .unwrap_or_else(|e| panic!("valid proof {old}->{new} refused: {e}"));
            let mut claims: Vec<(String, u64, u64, Hash, Hash, Vec<Hash>)> = vec![
                (
                    "new size * 2".into(),
                    old,
                    new * 2,
                    old_root,
                    new_root,
                    proof.clone(),
                ),
                (
                    "new size / 2".into(),
                    old,
                    new / 2,
                    old_root,
                    new_root,
                    proof.clone(),
                ),
                (
                    "other old root".into(),
                    old,
                    new,
                    other_root,
                    new_root,
                    proof.clone(),
                ),
                (
                    "other new root".into(),
                    old,
                    new,
                    old_root,
                    other_root,
                    proof.clone(),
                ),
            ];
            // Claims about an empty old tree are true of every tree, so they are not corruptions.
            if old > 1 {
                claims.push((
                    "old size - 1".into(),
                    old - 1,
                    new,
                    old_root,
                    new_root,
                    proof.clone(),
                ));
            }
            // With equal sizes, reversed sizes and swapped roots make the same true claim.
            if old < new {
                claims.push((
                    "sizes reversed".into(),
                    new,
                    old,
                    new_root,
                    old_root,
                    proof.clone(),
                ));
                claims.push((
                    "old size + 1".into(),
                    old + 1,
                    new,
                    old_root,
                    new_root,
                    proof.clone(),
                ));
                claims.push((
                    "roots swapped".into(),
                    old,
                    new,
                    new_root,
                    old_root,
                    proof.clone(),
                ));
                claims.push((
                    "empty proof".into(),
                    old,
                    new,
                    old_root,
                    new_root,
                    Vec::new(),
                ));
            }
            for (name, damaged) in damaged_proofs(&proof, &new_root, &old_root) {
                claims.push((name, old, new, old_root, new_root, damaged));
            }
            for (name, o, n, r1, r2, p) in claims {
                if verify_consistency(&h, o, n, &r1, &r2, &p).is_ok() {
                    accepted.push(format!("consistency {old}->{new}: {name}"));
                }
            }
        }
    });
}
