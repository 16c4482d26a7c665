//! The query language: parsing text into an AST ([`parse`]) and building tantivy queries
//! from it and from filters ([`build`]).

pub(crate) mod ast;
pub(crate) mod build;
pub(crate) mod parse;
