//! The document-level language guess over all page texts.

/// Guesses the main language of a document's text as an ISO 639-3 code, or None when the text
/// is too short or the guess unreliable.
pub(crate) fn guess<'a>(pages: impl Iterator<Item = &'a str>) -> Option<String> {
    // A few thousand characters decide the language; more only cost time.
    let mut sample = String::new();
    for text in pages {
        if sample.len() >= 8192 {
            break;
        }
        let room = 8192 - sample.len();
        let cut = text.char_indices().nth(room).map_or(text.len(), |(i, _)| i);
        sample.push_str(&text[..cut]);
        sample.push('\n');
    }
    if sample.chars().filter(|c| c.is_alphabetic()).count() < 20 {
        return None;
    }
    let info = whatlang::detect(&sample)?;
    info.is_reliable().then(|| info.lang().code().to_owned())
}

#[cfg(test)]
mod tests {
    use super::guess;

    #[test]
    fn german_and_english_are_recognised() {
        let de = "Die Meldebescheinigung wird Ihnen nach der Anmeldung Ihrer Wohnung \
                  zugeschickt. Bitte bringen Sie Ihren Personalausweis mit.";
        let en = "The registration certificate will be sent to you after you have \
                  registered your new address. Please bring your identity card.";
        assert_eq!(guess([de].into_iter()).as_deref(), Some("deu"));
        assert_eq!(guess([en].into_iter()).as_deref(), Some("eng"));
        assert_eq!(guess(["Seite 1"].into_iter()), None);
    }
}
