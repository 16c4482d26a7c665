//! `eakte search`.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use eakte_index::{Filter, SearchRequest, Sort};

use crate::cli::{Failure, SearchArgs};
use crate::journal_use::cli_principal;
use crate::service_use::{self, bad_argument, parse_date};

/// Runs one search and prints the page of hits.
pub fn run(data: &Path, args: SearchArgs) -> Result<ExitCode, Failure> {
    let sort = match args.sort.as_str() {
        "relevance" => Sort::Relevance,
        "newest" => Sort::ReceivedNewest,
        "oldest" => Sort::ReceivedOldest,
        other => {
            return Err(bad_argument(format!(
                "--sort {other:?}: use relevance, newest or oldest"
            )));
        }
    };
    let filter = Filter {
        plan_code: args.plan,
        units: args.unit.map(|u| vec![u]),
        doc_type: args.doc_type,
        received_from: args.from.map(|d| parse_date("--from", &d)).transpose()?,
        received_to: args.to.map(|d| parse_date("--to", &d)).transpose()?,
        ..Filter::default()
    };
    let request = SearchRequest {
        query: args.query,
        filter,
        sort,
        limit: args.limit,
        offset: args.offset,
    };
    let service = service_use::open(data)?;
    let result = service.search(&cli_principal(), &request);
    service.close()?;
    let results = result?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &results).context("stdout")?;
        writeln!(out).context("stdout")?;
        return Ok(ExitCode::SUCCESS);
    }
    let bold = std::io::stdout().is_terminal();
    writeln!(
        out,
        "{} hit(s){}",
        results.total,
        if results.total > results.hits.len() {
            format!(
                ", showing {}–{}",
                request.offset + 1,
                request.offset + results.hits.len()
            )
        } else {
            String::new()
        }
    )
    .context("stdout")?;
    for (n, hit) in results.hits.iter().enumerate() {
        let place = hit
            .aktenzeichen
            .as_ref()
            .map_or_else(|| "inbox".to_owned(), ToString::to_string);
        writeln!(
            out,
            "{:>3}. {place}  {}  (score {:.2})  {}",
            request.offset + n + 1,
            printable(&hit.title),
            hit.score,
            hit.document_id
        )
        .context("stdout")?;
        if !hit.snippet.is_empty() {
            writeln!(out, "     {}", plain_snippet(&hit.snippet, bold)).context("stdout")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Text from a document made safe for a terminal: control characters (escape sequences in a
/// PDF's text layer could drive the terminal) become spaces; line breaks and tabs stay.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The snippet's HTML as terminal text: matched terms in bold on a terminal, else in `[brackets]`.
fn plain_snippet(html: &str, bold: bool) -> String {
    let (open, close) = if bold {
        ("\u{1b}[1m", "\u{1b}[0m")
    } else {
        ("[", "]")
    };
    // Control characters go before the bold markers are put in.
    printable(html)
        .replace("<b>", open)
        .replace("</b>", close)
        .replace(['\n', '\r'], " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
