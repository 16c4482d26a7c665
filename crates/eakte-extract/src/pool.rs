//! The server's side: a pool of worker processes, each doing one document at a time, killed
//! and replaced when it crashes or runs out of time.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, BufWriter};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process_group};

use crate::protocol::{Reply, Request, Response, read_frame, write_frame};
use eakte_config::ExtractConfig;

use crate::{ExtractError, Extraction};

/// How to start a worker: the `eakte` binary and the arguments for worker mode.
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    /// The program (normally the running `eakte` binary).
    pub program: PathBuf,
    /// Its arguments (normally `extract-worker`).
    pub args: Vec<OsString>,
}

/// Lines of a worker's stderr kept for the message when it dies.
const STDERR_TAIL_LINES: usize = 8;
/// Grace time for a worker's answer to arrive after the deadline the worker itself keeps.
const DEADLINE_GRACE: Duration = Duration::from_secs(2);

/// A fixed number of worker processes shared by any number of threads.
pub struct WorkerPool {
    command: WorkerCommand,
    settings: ExtractConfig,
    size: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
}

struct PoolState {
    idle: Vec<Worker>,
    busy: usize,
    replaced: u64,
}

impl WorkerPool {
    /// A pool of `workers` processes (0: one per CPU core), started as they are needed.
    pub fn new(command: WorkerCommand, settings: ExtractConfig, workers: usize) -> Self {
        let size = if workers == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            workers
        };
        Self {
            command,
            settings,
            size,
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                busy: 0,
                replaced: 0,
            }),
            freed: Condvar::new(),
        }
    }

    /// The number of worker processes the pool runs at most.
    pub fn size(&self) -> usize {
        self.size
    }

    /// How many workers died or were killed and so were replaced.
    pub fn replaced(&self) -> u64 {
        self.lock().replaced
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Extracts one document in a worker, waiting for a free one. Blocks the calling thread.
    pub fn extract(&self, path: &Path) -> Result<Extraction, ExtractError> {
        self.extract_with(path, self.settings.clone())
    }

    /// As [`extract`](Self::extract), with other languages or limits for this document.
    pub fn extract_with(
        &self,
        path: &Path,
        settings: ExtractConfig,
    ) -> Result<Extraction, ExtractError> {
        self.extract_measured(path, settings).0
    }

    /// As [`extract_with`](Self::extract_with), also returning the peak resident memory of the
    /// worker that did it, over its life so far (None if it died or could not tell).
    pub fn extract_measured(
        &self,
        path: &Path,
        settings: ExtractConfig,
    ) -> (Result<Extraction, ExtractError>, Option<u64>) {
        let path = match std::path::absolute(path) {
            Ok(path) => path,
            Err(e) => return (Err(ExtractError::io(e)), None),
        };
        let mut slot = self.take_slot();
        let worker = match slot.worker.take() {
            Some(worker) => Ok(worker),
            None => Worker::spawn(&self.command),
        };
        match worker {
            Ok(mut worker) => {
                let result = worker.run(&path, settings);
                if worker.dead {
                    slot.lost = true;
                    return (result, None);
                }
                let rss = worker.peak_rss_bytes;
                slot.worker = Some(worker);
                (result, rss)
            }
            Err(e) => (Err(e), None),
        }
    }

    /// Waits for a free place in the pool; the slot holds an idle worker if there is a live one.
    fn take_slot(&self) -> Slot<'_> {
        let mut state = self.lock();
        loop {
            while let Some(mut worker) = state.idle.pop() {
                // A worker that died while idle (the kernel's OOM killer, say) is not handed a
                // document to fail on.
                if matches!(worker.child.try_wait(), Ok(None)) {
                    state.busy += 1;
                    return Slot {
                        pool: self,
                        worker: Some(worker),
                        lost: false,
                    };
                }
                worker.kill();
                state.replaced += 1;
            }
            if state.busy < self.size {
                state.busy += 1;
                return Slot {
                    pool: self,
                    worker: None,
                    lost: false,
                };
            }
            state = self
                .freed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// A taken place in the pool; dropping it gives the place back (also on a panic), with the
/// worker if it is still alive.
struct Slot<'a> {
    pool: &'a WorkerPool,
    worker: Option<Worker>,
    /// The worker died or was killed on this document.
    lost: bool,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut state = self.pool.lock();
        state.busy -= 1;
        if let Some(worker) = self.worker.take() {
            state.idle.push(worker);
        }
        if self.lost {
            state.replaced += 1;
        }
        drop(state);
        self.pool.freed.notify_one();
    }
}

/// One worker process and the threads that read its output.
struct Worker {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    responses: Receiver<std::io::Result<Reply>>,
    peak_rss_bytes: Option<u64>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    stderr_reader: Option<JoinHandle<()>>,
    dead: bool,
}

impl Worker {
    fn spawn(command: &WorkerCommand) -> Result<Self, ExtractError> {
        let mut child = Command::new(&command.program)
            .args(&command.args)
            // libgomp reads this when libtesseract loads: one thread per worker, since the
            // pool already runs one worker per core and OpenMP threads would only contend.
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so that a kill also ends a pdftoppm it started.
            .process_group(0)
            .spawn()
            .map_err(|e| ExtractError::Io {
                detail: format!(
                    "cannot start the extraction worker {}: {e}",
                    command.program.display()
                ),
            })?;
        let stdin = BufWriter::new(child.stdin.take().expect("stdin is piped"));
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let stderr = BufReader::new(child.stderr.take().expect("stderr is piped"));
        let (sender, responses) = mpsc::channel();
        std::thread::spawn(move || {
            loop {
                let frame = read_frame::<Reply>(&mut stdout);
                let end = !matches!(frame, Ok(Some(_)));
                let sent = match frame {
                    Ok(Some(response)) => sender.send(Ok(response)),
                    Ok(None) => sender.send(Err(std::io::ErrorKind::UnexpectedEof.into())),
                    Err(e) => sender.send(Err(e)),
                };
                if end || sent.is_err() {
                    break;
                }
            }
        });
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let tail = Arc::clone(&stderr_tail);
        let stderr_reader = std::thread::spawn(move || {
            for line in stderr.split(b'\n').map_while(Result::ok) {
                let line = String::from_utf8_lossy(&line).trim_end().to_owned();
                if line.is_empty() {
                    continue;
                }
                tracing::debug!(target: "eakte_extract::worker", "{line}");
                let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
                if tail.len() == STDERR_TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        });
        Ok(Self {
            child,
            stdin,
            responses,
            stderr_tail,
            stderr_reader: Some(stderr_reader),
            dead: false,
            peak_rss_bytes: None,
        })
    }

    /// Sends one document and waits for the answer until the wall-clock limit.
    fn run(&mut self, path: &Path, settings: ExtractConfig) -> Result<Extraction, ExtractError> {
        let timeout = Duration::from_secs(settings.timeout_seconds);
        let limits = (settings.max_cpu_seconds, settings.max_memory_bytes);
        let request = Request {
            path: path.to_owned(),
            settings,
        };
        // What an earlier document made the worker say is not this document's story.
        self.stderr_tail
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        if write_frame(&mut self.stdin, &request).is_err() {
            return Err(self.died(limits));
        }
        match self
            .responses
            .recv_timeout(timeout.saturating_add(DEADLINE_GRACE))
        {
            Ok(Ok(reply)) => {
                self.peak_rss_bytes = reply.peak_rss_bytes;
                match reply.outcome {
                    Response::Done(extraction) => Ok(*extraction),
                    Response::Failed(e) => Err(e),
                }
            }
            Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => Err(self.died(limits)),
            Err(RecvTimeoutError::Timeout) => {
                self.kill();
                Err(ExtractError::Timeout {
                    seconds: timeout.as_secs(),
                })
            }
        }
    }

    /// The worker's output ended: reap it and say why it died.
    fn died(&mut self, (cpu_seconds, memory_bytes): (u64, u64)) -> ExtractError {
        self.dead = true;
        // Whatever it started (a pdftoppm) ends with it, which also closes the stderr pipe the
        // reader thread waits on. The worker itself, not yet reaped, keeps the group's id from
        // being reused; if it was still running (only its output broke), this ends it too.
        let _ = kill_process_group(Pid::from_child(&self.child), Signal::KILL);
        let status = self.child.wait().ok();
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
        let tail: Vec<String> = self
            .stderr_tail
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect();
        classify(status, &tail, cpu_seconds, memory_bytes)
    }

    fn kill(&mut self) {
        self.dead = true;
        let _ = kill_process_group(Pid::from_child(&self.child), Signal::KILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if !self.dead {
            self.kill();
        }
    }
}

/// Names the reason a worker ended from its exit status and last stderr lines.
fn classify(
    status: Option<ExitStatus>,
    tail: &[String],
    cpu_seconds: u64,
    memory_bytes: u64,
) -> ExtractError {
    let out_of_memory = tail.iter().any(|l| {
        l.contains("memory allocation of")
            || l.contains("bad_alloc")
            || l.contains("malloc fail")
            || l.contains("Out of memory")
            || l.contains("Cannot allocate memory")
    });
    if out_of_memory {
        return ExtractError::MemoryLimit {
            bytes: memory_bytes,
        };
    }
    const SIGXCPU: i32 = 24;
    let how = match status {
        Some(s) if s.signal() == Some(SIGXCPU) => {
            return ExtractError::CpuLimit {
                seconds: cpu_seconds,
            };
        }
        Some(s) => match s.signal() {
            Some(signal) => format!("killed by signal {signal}"),
            None => format!("exited with {s}"),
        },
        None => "stopped answering".to_owned(),
    };
    let last = tail.last().map(String::as_str).unwrap_or("no message");
    ExtractError::WorkerCrashed {
        detail: format!("{how}; last message: {last}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eakte_config::ExtractConfig;
    use std::time::Instant;

    /// A pool whose "worker" is a shell command, to see how the pool handles workers that hang,
    /// die or are stopped by the kernel.
    fn pool_of(script: &str, timeout_seconds: u64) -> WorkerPool {
        let settings = ExtractConfig {
            timeout_seconds,
            ..ExtractConfig::default()
        };
        let command = WorkerCommand {
            program: "sh".into(),
            args: vec!["-c".into(), script.into()],
        };
        WorkerPool::new(command, settings, 1)
    }

    #[test]
    fn a_hanging_worker_is_killed_at_the_deadline_and_replaced() {
        // The worker starts a grandchild too; the kill takes the whole process group.
        let pool = pool_of("sleep 600 & sleep 600", 1);
        let start = Instant::now();
        let e = pool.extract(Path::new("/dev/null")).unwrap_err();
        assert_eq!(e, ExtractError::Timeout { seconds: 1 });
        assert!(start.elapsed() < Duration::from_secs(30));
        assert_eq!(pool.replaced(), 1);
        // The next document gets a new worker (which hangs again, being the same script).
        assert_eq!(
            pool.extract(Path::new("/dev/null")).unwrap_err().code(),
            "timeout"
        );
        assert_eq!(pool.replaced(), 2);
    }

    #[test]
    fn a_dying_worker_is_named_with_its_last_words() {
        let pool = pool_of("echo 'parser exploded' >&2; exit 3", 10);
        let e = pool.extract(Path::new("/dev/null")).unwrap_err();
        assert_eq!(e.code(), "worker_crashed");
        assert!(e.to_string().contains("parser exploded"), "{e}");
        assert!(e.to_string().contains("exit status: 3"), "{e}");
        let pool = pool_of("kill -XCPU $$", 10);
        assert_eq!(
            pool.extract(Path::new("/dev/null")).unwrap_err().code(),
            "cpu_limit"
        );
        let pool = pool_of(
            "echo 'memory allocation of 1048576 bytes failed' >&2; kill -ABRT $$",
            10,
        );
        assert_eq!(
            pool.extract(Path::new("/dev/null")).unwrap_err().code(),
            "memory_limit"
        );
    }

    #[test]
    fn stray_output_is_a_crash_not_an_answer() {
        let pool = pool_of("echo 'Warning: something'; sleep 600", 10);
        let e = pool.extract(Path::new("/dev/null")).unwrap_err();
        assert_eq!(e.code(), "worker_crashed", "{e}");
    }

    #[test]
    fn a_missing_worker_program_is_an_io_error() {
        let settings = ExtractConfig::default();
        let command = WorkerCommand {
            program: "/nonexistent/eakte".into(),
            args: vec![],
        };
        let pool = WorkerPool::new(command, settings, 2);
        let e = pool.extract(Path::new("/dev/null")).unwrap_err();
        assert_eq!(e.code(), "io");
        assert!(e.to_string().contains("/nonexistent/eakte"), "{e}");
    }

    #[test]
    fn deaths_are_named() {
        let signal = |n: i32| Some(ExitStatus::from_raw(n));
        assert_eq!(classify(signal(24), &[], 5, 1).code(), "cpu_limit");
        let oom = ["memory allocation of 123456 bytes failed".to_owned()];
        assert_eq!(classify(signal(6), &oom, 5, 1).code(), "memory_limit");
        // Leptonica reports a failed allocation, then Tesseract uses the missing image.
        let leptonica = [
            "Error in pixCreateNoInit: pixdata_malloc fail for data".to_owned(),
            "Error in pixGetWpl: pix not defined".to_owned(),
        ];
        assert_eq!(
            classify(signal(11), &leptonica, 5, 1).code(),
            "memory_limit"
        );
        let overflow = ["thread 'main' has overflowed its stack".to_owned()];
        let e = classify(signal(6), &overflow, 5, 1);
        assert_eq!(e.code(), "worker_crashed");
        assert!(e.to_string().contains("signal 6"), "{e}");
        assert!(e.to_string().contains("overflowed its stack"), "{e}");
        assert_eq!(classify(None, &[], 5, 1).code(), "worker_crashed");
    }
}
