//! The query index: entries by actor, object and action, and the time of each entry, kept in
//! memory and rebuilt from the journal's segments every time the journal is opened.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

/// Which events to list. Every given filter must match; times are inclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// The actor's user id.
    pub actor: Option<String>,
    /// An object id the event concerns.
    pub object: Option<String>,
    /// The action name.
    pub action: Option<String>,
    /// Not before this time.
    pub from: Option<DateTime<Utc>>,
    /// Not after this time.
    pub to: Option<DateTime<Utc>>,
    /// At most this many events (the oldest first); `None` for all.
    pub limit: Option<usize>,
}

/// Postings (ascending sequence numbers) per actor, object and action, and entry times.
#[derive(Debug, Default)]
pub(crate) struct QueryIndex {
    actors: HashMap<String, Vec<u64>>,
    objects: HashMap<String, Vec<u64>>,
    actions: HashMap<String, Vec<u64>>,
    /// Microseconds since the epoch of each entry; never decreasing, so a time range is a
    /// sequence range.
    times: Vec<i64>,
}

impl QueryIndex {
    /// Adds entry `seq`, which must be the next one, by its keys and time (microseconds).
    pub fn add<'a>(
        &mut self,
        seq: u64,
        actor: &str,
        action: &str,
        objects: impl Iterator<Item = &'a str>,
        time: i64,
    ) {
        debug_assert_eq!(seq, self.times.len() as u64);
        push(&mut self.actors, actor, seq);
        for id in objects {
            push(&mut self.objects, id, seq);
        }
        push(&mut self.actions, action, seq);
        self.times.push(time);
    }

    /// The sequence numbers below `size` that match `query`, ascending.
    pub fn matching(&self, query: &Query, size: u64) -> Vec<u64> {
        let size = size.min(self.times.len() as u64);
        let first = query.from.map_or(0, |from| {
            self.times.partition_point(|t| *t < from.timestamp_micros()) as u64
        });
        let end = query.to.map_or(size, |to| {
            (self.times.partition_point(|t| *t <= to.timestamp_micros()) as u64).min(size)
        });
        let empty = Vec::new();
        let lists: Vec<&Vec<u64>> = [
            query
                .actor
                .as_ref()
                .map(|a| self.actors.get(a).unwrap_or(&empty)),
            query
                .object
                .as_ref()
                .map(|o| self.objects.get(o).unwrap_or(&empty)),
            query
                .action
                .as_ref()
                .map(|a| self.actions.get(a).unwrap_or(&empty)),
        ]
        .into_iter()
        .flatten()
        .collect();
        let limit = query.limit.unwrap_or(usize::MAX);
        let in_range = |seq: &u64| (first..end).contains(seq);
        let Some(shortest) = lists.iter().min_by_key(|l| l.len()) else {
            return (first..end).take(limit).collect();
        };
        let start = shortest.partition_point(|seq| *seq < first);
        shortest[start..]
            .iter()
            .take_while(|seq| **seq < end)
            .filter(|seq| in_range(seq) && lists.iter().all(|l| l.binary_search(seq).is_ok()))
            .take(limit)
            .copied()
            .collect()
    }
}

/// Adds `seq` to the postings of `key`, once (an event naming one object twice is listed once).
fn push(map: &mut HashMap<String, Vec<u64>>, key: &str, seq: u64) {
    match map.get_mut(key) {
        Some(list) => {
            if list.last() != Some(&seq) {
                list.push(seq);
            }
        }
        None => {
            map.insert(key.to_owned(), vec![seq]);
        }
    }
}
