//! Group commit: writers append without syncing, then wait until one `fsync` covers their bytes.
//!
//! The first waiter that finds no sync in progress becomes the leader: it asks for the current end
//! of the log, fsyncs the file, and wakes everyone whose bytes that covered. Writers that arrive
//! while a sync runs wait for the next one, which then covers all of them at once.

use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::SegmentError;

/// A place in a segmented log: segment number, then byte offset. Ordered, so that "everything up
/// to here is durable" is one comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    /// The segment number.
    pub segment: u64,
    /// The byte offset within that segment.
    pub offset: u64,
}

#[derive(Default)]
struct State {
    durable: Position,
    syncing: bool,
    poisoned: Option<String>,
    /// Bumped by [`GroupSync::retreat`]: a sync that started before cannot vouch for bytes
    /// written at the cut-back offsets afterwards.
    generation: u64,
}

/// Shares fsyncs between concurrent writers of one log.
///
/// The log's owner must fsync a segment completely before it starts the next one, so that syncing
/// the newest segment makes every earlier position durable.
#[derive(Default)]
pub struct GroupSync {
    state: Mutex<State>,
    synced: Condvar,
    /// Mirrors `state.poisoned.is_some()`, so that writers can check it without taking the lock
    /// the waiters contend for.
    poisoned_flag: AtomicBool,
}

impl GroupSync {
    /// A group sync for a log whose contents up to `durable` are already on stable storage.
    pub fn new(durable: Position) -> Self {
        Self {
            state: Mutex::new(State {
                durable,
                ..State::default()
            }),
            synced: Condvar::new(),
            poisoned_flag: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the state half-updated (every update is
        // a single assignment), so a poisoned mutex is safe to use.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records that the log was cut back to `position` (a failed write removed): offsets past it
    /// are no longer durable, and will be written anew.
    pub fn retreat(&self, position: Position) {
        let mut state = self.lock();
        state.durable = state.durable.min(position);
        state.generation += 1;
    }

    /// Refuses further syncs after a failed fsync, see [`SegmentError::Poisoned`].
    pub fn poison(&self, why: String) {
        let mut state = self.lock();
        state.poisoned.get_or_insert(why);
        self.poisoned_flag.store(true, Ordering::Release);
        self.synced.notify_all();
    }

    /// Whether syncs are refused, without waiting for the lock.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned_flag.load(Ordering::Acquire)
    }

    /// The reason syncs are refused, if they are.
    pub fn poisoned(&self) -> Option<String> {
        self.lock().poisoned.clone()
    }

    /// Returns once everything up to `target` is durable. `current` reports the log's present end
    /// and the file to fsync for it; it is called only by the leader of a sync.
    pub fn wait_durable(
        &self,
        target: Position,
        current: impl Fn() -> (Position, Arc<File>),
    ) -> Result<(), SegmentError> {
        let mut state = self.lock();
        loop {
            if let Some(why) = &state.poisoned {
                return Err(SegmentError::Poisoned(why.clone()));
            }
            if state.durable >= target {
                return Ok(());
            }
            if state.syncing {
                state = self.synced.wait(state).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            state.syncing = true;
            let generation = state.generation;
            drop(state);
            let (end, file) = current();
            let result = file.sync_data();
            state = self.lock();
            state.syncing = false;
            match result {
                // A cut-back during the sync may have removed bytes this sync covered; new ones
                // written in their place need a sync of their own.
                Ok(()) if state.generation != generation => {}
                Ok(()) => state.durable = state.durable.max(end),
                Err(e) => {
                    state.poisoned.get_or_insert(format!("fsync failed: {e}"));
                    self.poisoned_flag.store(true, Ordering::Release);
                }
            }
            self.synced.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn concurrent_waiters_share_syncs() {
        let file = Arc::new(tempfile::tempfile().unwrap());
        let sync = Arc::new(GroupSync::new(Position::default()));
        let end = Arc::new(AtomicU64::new(0));
        let calls = Arc::new(AtomicU64::new(0));
        std::thread::scope(|scope| {
            for writer in 0..16u64 {
                let (file, sync, end, calls) = (&file, &sync, &end, &calls);
                scope.spawn(move || {
                    for i in 0..50u64 {
                        let offset = end.fetch_add(1, Ordering::SeqCst) + 1;
                        let target = Position { segment: 1, offset };
                        sync.wait_durable(target, || {
                            calls.fetch_add(1, Ordering::SeqCst);
                            let now = end.load(Ordering::SeqCst);
                            (
                                Position {
                                    segment: 1,
                                    offset: now,
                                },
                                Arc::clone(file),
                            )
                        })
                        .unwrap();
                        let durable = sync.lock().durable;
                        assert!(
                            durable >= target,
                            "writer {writer} append {i}: {durable:?} < {target:?}"
                        );
                    }
                });
            }
        });
        let calls = calls.load(Ordering::SeqCst);
        assert!(calls >= 1);
        assert!(calls <= 800, "never more syncs than appends, got {calls}");
        let state = sync.lock();
        assert_eq!(
            state.durable,
            Position {
                segment: 1,
                offset: 800
            }
        );
    }

    #[test]
    fn a_retreat_makes_cut_offsets_wait_for_a_new_sync() {
        let file = Arc::new(tempfile::tempfile().unwrap());
        let sync = GroupSync::new(Position {
            segment: 1,
            offset: 100,
        });
        sync.retreat(Position {
            segment: 1,
            offset: 40,
        });
        let calls = std::sync::atomic::AtomicU64::new(0);
        sync.wait_durable(
            Position {
                segment: 1,
                offset: 60,
            },
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                (
                    Position {
                        segment: 1,
                        offset: 60,
                    },
                    Arc::clone(&file),
                )
            },
        )
        .unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "offset 60 was cut, so it needs a sync"
        );
    }

    #[test]
    fn poisoned_sync_refuses_waiters() {
        let file = Arc::new(tempfile::tempfile().unwrap());
        let sync = GroupSync::new(Position::default());
        assert!(!sync.is_poisoned());
        sync.poison("disk gone".into());
        assert!(sync.is_poisoned());
        let err = sync
            .wait_durable(
                Position {
                    segment: 1,
                    offset: 1,
                },
                || {
                    (
                        Position {
                            segment: 1,
                            offset: 1,
                        },
                        Arc::clone(&file),
                    )
                },
            )
            .unwrap_err();
        assert!(matches!(err, SegmentError::Poisoned(_)));
        // An already durable position is refused too: after a failed fsync nothing is promised.
        assert!(
            sync.wait_durable(Position::default(), || unreachable!())
                .is_err()
        );
    }
}
