//! A bounded, streaming walk over an untrusted message.
//!
//! The walk checks the root element (namespace and message type), refuses document type
//! declarations and undefined entities, limits nesting, and hands each element's path (local
//! names below the root) and text to a [`Handler`]. It builds no tree, so memory stays
//! proportional to the nesting depth plus the largest text.

use quick_xml::NsReader;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};

use crate::codes::{NAMESPACE, NAMESPACE_FAMILY};
use crate::error::{XdomeaError, quote};
use crate::limits::MAX_DEPTH;
use crate::message::MessageType;

/// Path entry of an element outside the xdomea namespace; it matches no handler pattern.
const FOREIGN: &str = "\u{0}foreign";

/// Unqualified children of code elements (`form="unqualified"` in the code types).
const UNQUALIFIED: [&str; 2] = ["code", "name"];

/// Receives the elements of a message below its root.
pub(crate) trait Handler {
    /// An element starts; `path` ends with its local name.
    fn start(&mut self, path: &[&str]) -> Result<(), XdomeaError>;
    /// An element ends; `text` is its character content (empty for elements with children).
    fn end(&mut self, path: &[&str], text: &str) -> Result<(), XdomeaError>;
}

/// Walks a message of type `kind`, calling `handler` for every element below the root.
pub(crate) fn walk(
    xml: &[u8],
    kind: MessageType,
    handler: &mut impl Handler,
) -> Result<(), XdomeaError> {
    let xml = xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(xml);
    let text = std::str::from_utf8(xml).map_err(|_| XdomeaError::NotXdomea)?;
    let mut walker = Walker {
        reader: NsReader::from_str(text),
        kind,
        state: State::Prolog,
        path: Vec::new(),
        text: String::new(),
    };
    walker.reader.config_mut().expand_empty_elements = true;
    walker.run(handler)
}

/// Where the walk is relative to the root element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Prolog,
    Root,
    Epilog,
}

struct Walker<'i> {
    reader: NsReader<&'i [u8]>,
    kind: MessageType,
    state: State,
    path: Vec<String>,
    text: String,
}

impl Walker<'_> {
    fn run(&mut self, handler: &mut impl Handler) -> Result<(), XdomeaError> {
        loop {
            let event = match self.reader.read_event() {
                Ok(event) => event,
                Err(error) => return Err(self.syntax_error(&error.to_string())),
            };
            match event {
                Event::Start(start) => self.start(&start, handler)?,
                Event::End(_) => self.end(handler)?,
                Event::Text(text) => self.push_text(&text.xml10_content())?,
                Event::CData(data) => self.push_text(&data.xml10_content())?,
                Event::GeneralRef(reference) => self.push_reference(&reference)?,
                Event::DocType(_) => return Err(XdomeaError::Doctype),
                Event::Decl(decl) => check_encoding(decl.encoding())?,
                Event::Empty(_) | Event::Comment(_) | Event::PI(_) => {}
                Event::Eof => return self.eof(),
            }
        }
    }

    fn start(&mut self, start: &BytesStart, handler: &mut impl Handler) -> Result<(), XdomeaError> {
        match self.state {
            State::Prolog => return self.root(start),
            State::Epilog => return Err(malformed("content after the root element")),
            State::Root => {}
        }
        if self.path.len() >= MAX_DEPTH {
            return Err(XdomeaError::TooLarge {
                what: "element nesting",
                limit: MAX_DEPTH as u64,
            });
        }
        let name = self.path_entry(start)?;
        self.path.push(name);
        self.text.clear();
        handler.start(&self.view())
    }

    /// Checks the root element: xdomea 3.0.0 namespace and the expected message type.
    fn root(&mut self, start: &BytesStart) -> Result<(), XdomeaError> {
        let (namespace, local) = self.reader.resolver().resolve_element(start.name());
        let local = local.as_ref();
        match namespace {
            ResolveResult::Bound(Namespace(ns)) if ns == NAMESPACE => {}
            ResolveResult::Bound(Namespace(ns)) if ns.starts_with(NAMESPACE_FAMILY) => {
                return Err(XdomeaError::UnsupportedVersion {
                    namespace: quote(ns),
                });
            }
            _ => return Err(XdomeaError::NotXdomea),
        }
        if local != self.kind.element() {
            return Err(XdomeaError::WrongMessageType {
                expected: self.kind.element(),
                found: quote(local),
            });
        }
        self.state = State::Root;
        Ok(())
    }

    fn path_entry(&self, start: &BytesStart) -> Result<String, XdomeaError> {
        let (namespace, local) = self.reader.resolver().resolve_element(start.name());
        let local = local.as_ref();
        let entry = match namespace {
            ResolveResult::Bound(Namespace(ns)) if ns == NAMESPACE => local,
            ResolveResult::Unbound if UNQUALIFIED.contains(&local) => local,
            ResolveResult::Unknown(prefix) => {
                return Err(malformed(&format!(
                    "undeclared prefix {:?}",
                    quote(&prefix)
                )));
            }
            _ => FOREIGN,
        };
        Ok(entry.to_owned())
    }

    fn end(&mut self, handler: &mut impl Handler) -> Result<(), XdomeaError> {
        if self.path.is_empty() {
            self.state = State::Epilog;
            return Ok(());
        }
        handler.end(&self.view(), &self.text)?;
        self.path.pop();
        self.text.clear();
        Ok(())
    }

    fn push_text(&mut self, text: &str) -> Result<(), XdomeaError> {
        if self.state == State::Root {
            self.text.push_str(text);
            return Ok(());
        }
        if text.trim_matches(['\u{20}', '\t', '\r', '\n']).is_empty() {
            return Ok(());
        }
        match self.state {
            State::Prolog => Err(XdomeaError::NotXdomea),
            _ => Err(malformed("text after the root element")),
        }
    }

    /// Resolves `&name;`: character references and the five predefined entities; without a
    /// document type declaration no other entity can be defined.
    fn push_reference(&mut self, reference: &BytesRef) -> Result<(), XdomeaError> {
        let resolved = match reference.resolve_char_ref() {
            Ok(Some(c)) => c,
            Ok(None) => predefined_entity(&reference.xml10_content())?,
            Err(_) => return Err(malformed("invalid character reference")),
        };
        self.push_text(resolved.encode_utf8(&mut [0; 4]))
    }

    fn eof(&self) -> Result<(), XdomeaError> {
        match self.state {
            State::Epilog => Ok(()),
            State::Prolog => Err(XdomeaError::NotXdomea),
            State::Root => Err(malformed("the document ends inside the root element")),
        }
    }

    fn syntax_error(&self, detail: &str) -> XdomeaError {
        match self.state {
            State::Prolog => XdomeaError::NotXdomea,
            _ => malformed(&format!("not well-formed XML: {}", quote(detail))),
        }
    }

    fn view(&self) -> Vec<&str> {
        self.path.iter().map(String::as_str).collect()
    }
}

fn predefined_entity(name: &str) -> Result<char, XdomeaError> {
    match name {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        other => Err(malformed(&format!("undefined entity &{};", quote(other)))),
    }
}

/// xdomea messages are UTF-8; a declaration naming another encoding would make the walk read
/// the text wrongly.
fn check_encoding<E>(
    encoding: Option<Result<std::borrow::Cow<'_, str>, E>>,
) -> Result<(), XdomeaError> {
    match encoding {
        None => Ok(()),
        Some(Ok(name)) if name.eq_ignore_ascii_case("UTF-8") => Ok(()),
        Some(Ok(name)) => Err(malformed(&format!(
            "declared encoding {:?}, xdomea messages are UTF-8",
            quote(&name)
        ))),
        Some(Err(_)) => Err(malformed("unreadable XML declaration")),
    }
}

fn malformed(what: &str) -> XdomeaError {
    XdomeaError::Malformed {
        what: what.to_owned(),
    }
}
