//! The journal: a tamper-evident, append-only record of every change and every access.
//!
//! So far this crate holds the Merkle tree in the shape of RFC 6962/9162 ([`merkle`]): leaf and
//! node hashing over a chosen hash function, inclusion and consistency proofs, and their strict
//! verification. Durable appends, checkpoints, export and the offline verifier build on it.

pub mod merkle;
