//! A thin layer over the quick-xml writer that knows the xdomea prefix, code elements and the
//! characters XML 1.0 cannot carry.

use chrono::{Datelike, NaiveDate};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::codes::{CodeList, NAMESPACE, PREFIX};
use crate::error::XdomeaError;

/// Writes one message document.
pub(crate) struct XmlOut {
    writer: Writer<Vec<u8>>,
}

impl XmlOut {
    /// Starts a document with the XML declaration (UTF-8, as xdomea requires).
    pub(crate) fn new() -> Result<Self, XdomeaError> {
        let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
        writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        Ok(XmlOut { writer })
    }

    /// Opens the root element and binds the xdomea namespace to its prefix.
    pub(crate) fn open_root(&mut self, element: &str) -> Result<(), XdomeaError> {
        let mut start = BytesStart::new(qualified(element));
        start.push_attribute((format!("xmlns:{PREFIX}").as_str(), NAMESPACE));
        self.writer.write_event(Event::Start(start))?;
        Ok(())
    }

    /// Opens an xdomea element.
    pub(crate) fn open(&mut self, element: &str) -> Result<(), XdomeaError> {
        self.writer
            .write_event(Event::Start(BytesStart::new(qualified(element))))?;
        Ok(())
    }

    /// Closes an xdomea element.
    pub(crate) fn close(&mut self, element: &str) -> Result<(), XdomeaError> {
        self.writer
            .write_event(Event::End(BytesEnd::new(qualified(element))))?;
        Ok(())
    }

    /// Writes `<xdomea:element>value</xdomea:element>`; `what` names the value in the error
    /// if it holds a character XML 1.0 cannot carry.
    pub(crate) fn text(
        &mut self,
        element: &str,
        value: &str,
        what: impl FnOnce() -> String,
    ) -> Result<(), XdomeaError> {
        check_chars(value, what)?;
        self.raw_leaf(&qualified(element), value)
    }

    /// Writes [`Self::text`] if there is a value.
    pub(crate) fn opt_text(
        &mut self,
        element: &str,
        value: Option<&str>,
        what: impl FnOnce() -> String,
    ) -> Result<(), XdomeaError> {
        match value {
            Some(value) => self.text(element, value, what),
            None => Ok(()),
        }
    }

    /// Writes a value this crate produced itself (numbers, UUIDs, code values, booleans).
    pub(crate) fn fixed(&mut self, element: &str, value: &str) -> Result<(), XdomeaError> {
        self.raw_leaf(&qualified(element), value)
    }

    /// Writes an `xs:boolean` as 1 or 0, the form the xdomea documentation uses.
    pub(crate) fn boolean(&mut self, element: &str, value: bool) -> Result<(), XdomeaError> {
        self.fixed(element, if value { "1" } else { "0" })
    }

    /// Writes an `xs:date`.
    pub(crate) fn date(
        &mut self,
        element: &str,
        value: NaiveDate,
        what: impl FnOnce() -> String,
    ) -> Result<(), XdomeaError> {
        self.fixed(element, &date_text(value, what)?)
    }

    /// Writes a code element: `<xdomea:element listURI=".." listVersionID=".."><code>..</code>
    /// <name>..</name></xdomea:element>`; `name` is left out where the code type forbids it.
    pub(crate) fn code(
        &mut self,
        element: &str,
        list: CodeList,
        code: &str,
        name: Option<&str>,
    ) -> Result<(), XdomeaError> {
        let mut start = BytesStart::new(qualified(element));
        start.push_attribute(("listURI", list.uri));
        start.push_attribute(("listVersionID", list.version));
        self.writer.write_event(Event::Start(start))?;
        self.raw_leaf("code", code)?;
        if let Some(name) = name {
            self.raw_leaf("name", name)?;
        }
        self.close(element)
    }

    /// Writes a code element of a code list the schema leaves open, without list attributes
    /// (e.g. `Behoerdenschluessel`).
    pub(crate) fn open_code(
        &mut self,
        element: &str,
        code: &str,
        what: impl FnOnce() -> String,
    ) -> Result<(), XdomeaError> {
        check_chars(code, what)?;
        self.open(element)?;
        self.raw_leaf("code", code)?;
        self.close(element)
    }

    /// Ends the document and returns its bytes.
    pub(crate) fn finish(self) -> Vec<u8> {
        let mut bytes = self.writer.into_inner();
        bytes.push(b'\n');
        bytes
    }

    fn raw_leaf(&mut self, name: &str, value: &str) -> Result<(), XdomeaError> {
        self.writer
            .write_event(Event::Start(BytesStart::new(name)))?;
        self.writer
            .write_event(Event::Text(BytesText::new(value)))?;
        self.writer.write_event(Event::End(BytesEnd::new(name)))?;
        Ok(())
    }
}

fn qualified(element: &str) -> String {
    format!("{PREFIX}:{element}")
}

/// Formats an `xs:date`; years outside 1..=9999 have no four-digit form and are refused.
pub(crate) fn date_text(
    value: NaiveDate,
    what: impl FnOnce() -> String,
) -> Result<String, XdomeaError> {
    if !(1..=9999).contains(&value.year()) {
        return Err(XdomeaError::InvalidInput {
            what: format!("{} has a year outside 1..=9999", what()),
        });
    }
    Ok(value.format("%Y-%m-%d").to_string())
}

/// Refuses text XML 1.0 cannot carry (control characters other than tab, line feed and
/// carriage return, and the non-characters U+FFFE and U+FFFF), since writing it would produce
/// a message no parser accepts.
pub(crate) fn check_chars(value: &str, what: impl FnOnce() -> String) -> Result<(), XdomeaError> {
    if value.chars().all(is_xml_char) {
        return Ok(());
    }
    Err(XdomeaError::InvalidInput {
        what: format!("{} holds a character XML cannot carry", what()),
    })
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}
