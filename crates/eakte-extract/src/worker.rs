//! The worker process: reads documents from stdin, answers on stdout, under resource limits.
//!
//! A worker is the `eakte` binary started as `eakte extract-worker` by a
//! [`WorkerPool`](crate::pool::WorkerPool). It sets its own address-space and CPU-time limits
//! before each document; whatever a hostile file does to a parser, it happens in here.

use std::io::{self, BufReader, BufWriter};
use std::panic::{AssertUnwindSafe, catch_unwind};

use rlimit::Resource;

use crate::protocol::{Reply, Request, Response, read_frame, write_frame};
use eakte_config::ExtractConfig;

use crate::{ExtractError, Extractor};

/// Serves documents until stdin closes. Returns the process exit code.
pub fn run() -> i32 {
    let mut input = BufReader::new(io::stdin().lock());
    let mut output = BufWriter::new(io::stdout().lock());
    let mut extractor = Extractor::new();
    loop {
        let request: Request = match read_frame(&mut input) {
            Ok(Some(request)) => request,
            Ok(None) => return 0,
            Err(e) => {
                eprintln!("eakte extract-worker: bad request: {e}");
                return 2;
            }
        };
        let response = match apply_limits(&request.settings) {
            Err(e) => Response::Failed(ExtractError::Io {
                detail: format!("cannot set the worker's limits: {e}"),
            }),
            Ok(()) => {
                let result = catch_unwind(AssertUnwindSafe(|| {
                    extractor.extract_file(&request.path, request.settings)
                }));
                match result {
                    Ok(Ok(extraction)) => Response::Done(Box::new(extraction)),
                    Ok(Err(e)) => Response::Failed(e),
                    Err(panic) => {
                        // The parser's state is unknown after a panic: start afresh.
                        extractor = Extractor::new();
                        let detail = panic
                            .downcast_ref::<&str>()
                            .map(|s| (*s).to_owned())
                            .or_else(|| panic.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "a parser panicked".to_owned());
                        Response::Failed(ExtractError::Internal { detail })
                    }
                }
            }
        };
        let reply = Reply {
            outcome: response,
            peak_rss_bytes: peak_rss_bytes(),
        };
        if let Err(e) = write_frame(&mut output, &reply) {
            eprintln!("eakte extract-worker: cannot answer: {e}");
            return 2;
        }
    }
}

/// This process's peak resident set size, from /proc/self/status (VmHWM).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Sets the address-space limit, and a CPU-time limit of `max_cpu_seconds` more than this
/// process has used so far. Only the soft limits are set: CPU time adds up over the worker's
/// life, so the next document needs a higher one.
fn apply_limits(settings: &ExtractConfig) -> io::Result<()> {
    let (_, as_hard) = rlimit::getrlimit(Resource::AS)?;
    rlimit::setrlimit(
        Resource::AS,
        settings.max_memory_bytes.min(as_hard),
        as_hard,
    )?;
    let used = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    let used = u64::try_from(used.tv_sec).unwrap_or(0) + 1;
    let (_, cpu_hard) = rlimit::getrlimit(Resource::CPU)?;
    let soft = used.saturating_add(settings.max_cpu_seconds).min(cpu_hard);
    rlimit::setrlimit(Resource::CPU, soft, cpu_hard)
}
