//! Seeded generators of test and benchmark data: compressible German text and incompressible
//! noise. Used only by tests and benchmarks.

use rand::{Rng, SeedableRng};

/// A seeded generator, so that every run uses the same bytes.
pub fn rng(seed: u64) -> rand::rngs::StdRng {
    rand::rngs::StdRng::seed_from_u64(seed)
}

/// Compressible bytes (about 5:1 with zstd): German administrative words, some numbers, lines.
pub fn text(rng: &mut impl Rng, len: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "Meldebescheinigung",
        "Aktenzeichen",
        "Bürgerbüro",
        "Antrag",
        "Personalausweis",
        "Straße",
        "Wohnung",
        "Gemeinde",
        "und",
        "der",
        "die",
        "das",
        "für",
        "vom",
        "gemäß",
        "Bundesmeldegesetz",
        "Anschrift",
        "Geburtsdatum",
        "Musterstadt",
        "Frau",
        "Herr",
        "Gebühr",
        "Euro",
        "bezahlt",
        "Bescheid",
        "Widerspruch",
        "innerhalb",
        "eines",
        "Monats",
    ];
    let mut out = Vec::with_capacity(len + 32);
    while out.len() < len {
        out.extend_from_slice(WORDS[rng.random_range(0..WORDS.len())].as_bytes());
        out.push(if rng.random_range(0..12) == 0 {
            b'\n'
        } else {
            b' '
        });
        if rng.random_range(0..40) == 0 {
            out.extend_from_slice(format!("{} ", rng.random_range(0..100_000)).as_bytes());
        }
    }
    out.truncate(len);
    out
}

/// Incompressible bytes, like the JPEG data of scans.
pub fn noise(rng: &mut impl Rng, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    rng.fill_bytes(&mut out);
    out
}

/// Runs the ignored test `child_test` of the running test binary as a child process with the given
/// environment, kills it with SIGKILL after `after`, and returns the lines it printed: the crash
/// tests' children print one line per acknowledged write.
pub fn run_and_kill(
    child_test: &str,
    envs: &[(&str, &std::ffi::OsStr)],
    after: std::time::Duration,
) -> Vec<String> {
    use std::io::BufRead;
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = std::process::Command::new(exe)
        .args([
            child_test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .envs(envs.iter().map(|(k, v)| (*k, *v)))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn the child");
    let stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let deadline = std::time::Instant::now() + after;
    while std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().expect("kill the child");
    child.wait().expect("reap the child");
    reader.join().expect("the reader thread")
}

/// The `ACK <number> <text>` lines among a crash-test child's output, as (number, text).
pub fn acks(lines: &[String]) -> Vec<(u64, String)> {
    lines
        .iter()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            if words.next() != Some("ACK") {
                return None;
            }
            let number = words.next()?.parse().ok()?;
            Some((number, words.next()?.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_seeded_and_sized() {
        assert_eq!(text(&mut rng(1), 1000), text(&mut rng(1), 1000));
        assert_ne!(noise(&mut rng(1), 64), noise(&mut rng(2), 64));
        assert_eq!(text(&mut rng(3), 777).len(), 777);
        assert_eq!(noise(&mut rng(3), 0).len(), 0);
        assert!(
            std::str::from_utf8(&text(&mut rng(4), 5000)[..4000]).is_ok_and(|t| t.contains(' '))
        );
    }
}
