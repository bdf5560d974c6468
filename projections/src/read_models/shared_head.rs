//! One read of the store's head shared by the credit checks that wait for it at the same
//! moment (读头合并), so that under load a check of a kept subject costs no SQLite
//! statement of its own.
//!
//! A check of a kept subject reads only the head (the log position, the highest
//! credit-fact position, the two version counts; [`super::CreditFactsCache`]). That one
//! statement still cost about 11 µs of the machine per check, a third of an unlogged
//! check (docs/PERFORMANCE.md, "Session 12"). Here the checks that arrive together
//! share it, in *rounds*:
//! - the first check to arrive when no round is open opens one and becomes its reader;
//!   it yields once to the runtime, so that the checks already waiting to run can join
//!   — but only while rounds gather company: when the last round that waited had fewer
//!   than [`COMPANY`] members, the reader reads at once, and every [`PROBE`]th round
//!   waits again to see whether the load has come back. Without load a yield only adds
//!   latency (about 45 µs at two connections: the wake-up of a member on the other
//!   worker thread; docs/PERFORMANCE.md, "Session 13");
//! - a check that arrives while a round is open joins it and waits;
//! - the reader closes the round (later arrivals open the next one), reads the head and
//!   publishes it with the round's number.
//!
//! Why an answer stays exact and current: a check uses the head of its own round or of a
//! later one, and every such read *starts after the check arrived* (a round is read only
//! after it is closed, and a check joins only an open round). So the head an answer is
//! based on was read while its request was being served, as if the check had read it
//! itself at that moment; a write committed before the request was made is in it. A
//! round's failure is every member's failure (the store's error, relayed with its kind).
//! A reader dropped before it has read (its request cancelled) still reads and publishes
//! on the way out, so that no member waits for ever.

use std::sync::Mutex;

use tokio::sync::watch;

use crate::StoreError;

/// What the last round published: its number and its head, or why it has none.
type Published<H> = (u64, Result<H, StoreError>);

/// How a round's reader reads the head.
type Read<'a, H> = dyn Fn() -> Result<H, StoreError> + Sync + 'a;

/// Rounds of shared reads of a value of type `H` (the head).
#[derive(Debug)]
pub struct SharedHead<H> {
    rounds: Mutex<Rounds>,
    published: watch::Sender<Published<H>>,
}

/// A round that gathers at least this many checks is worth its wait.
pub const COMPANY: u64 = 3;

/// Every this many rounds, one waits for company even after quiet ones.
pub const PROBE: u64 = 16;

#[derive(Debug, Default)]
struct Rounds {
    /// The round accepting members, if any.
    open: Option<u64>,
    /// The number of the last round opened.
    last: u64,
    /// The open round's members, its reader included.
    members: u64,
    /// Whether the last round that waited gathered [`COMPANY`].
    company: bool,
    /// How many rounds waited (the tests read it).
    waited: u64,
}

impl<H: Copy + Send + Sync> Default for SharedHead<H> {
    fn default() -> Self {
        SharedHead {
            rounds: Mutex::new(Rounds::default()),
            published: watch::Sender::new((0, Err(StoreError::Encoding("no head yet".into())))),
        }
    }
}

impl<H: Copy + Send + Sync> SharedHead<H> {
    /// The head as read after this call began, by this caller or by another one in the
    /// same round; `read` is how a round's reader reads it.
    pub async fn get(
        &self,
        read: impl Fn() -> Result<H, StoreError> + Sync,
    ) -> Result<H, StoreError> {
        let mut published = self.published.subscribe();
        let (round, reader, wait) = {
            let mut rounds = self.rounds();
            match rounds.open {
                Some(round) => {
                    rounds.members += 1;
                    (round, false, false)
                }
                None => {
                    rounds.last += 1;
                    rounds.open = Some(rounds.last);
                    rounds.members = 1;
                    let wait = rounds.company || (rounds.last - 1).is_multiple_of(PROBE);
                    rounds.waited += u64::from(wait);
                    (rounds.last, true, wait)
                }
            }
        };
        if reader {
            let mut turn = Turn {
                shared: self,
                round,
                waited: wait,
                read: &read,
                done: false,
            };
            if wait {
                tokio::task::yield_now().await;
            }
            return turn.take();
        }
        loop {
            {
                let last = published.borrow_and_update();
                if last.0 >= round {
                    return match &last.1 {
                        Ok(head) => Ok(*head),
                        Err(e) => Err(e.relay()),
                    };
                }
            }
            if published.changed().await.is_err() {
                // cannot happen: `self` holds the sender
                return Err(StoreError::Encoding("the shared head has gone".into()));
            }
        }
    }

    /// How many rounds waited for company.
    #[cfg(test)]
    fn rounds_waited(&self) -> u64 {
        self.rounds().waited
    }

    fn rounds(&self) -> std::sync::MutexGuard<'_, Rounds> {
        // the guarded state is numbers, each written whole: a panic leaves it valid
        self.rounds.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Closes `round`, reads and publishes (unless a later round already has). A round
    /// that `waited` tells whether waiting gathered company.
    fn read_round(&self, round: u64, waited: bool, read: &Read<'_, H>) -> Result<H, StoreError> {
        {
            let mut rounds = self.rounds();
            if rounds.open == Some(round) {
                rounds.open = None;
                if waited {
                    rounds.company = rounds.members >= COMPANY;
                }
            }
        }
        let head = read();
        let copy = match &head {
            Ok(h) => Ok(*h),
            Err(e) => Err(e.relay()),
        };
        self.published.send_if_modified(|last| {
            if last.0 >= round {
                return false;
            }
            *last = (round, copy);
            true
        });
        head
    }
}

/// A round's reader: reads when asked, or when dropped before it was asked.
struct Turn<'a, H: Copy + Send + Sync> {
    shared: &'a SharedHead<H>,
    round: u64,
    waited: bool,
    read: &'a Read<'a, H>,
    done: bool,
}

impl<H: Copy + Send + Sync> Turn<'_, H> {
    fn take(&mut self) -> Result<H, StoreError> {
        self.done = true;
        self.shared.read_round(self.round, self.waited, self.read)
    }
}

impl<H: Copy + Send + Sync> Drop for Turn<'_, H> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.shared.read_round(self.round, self.waited, self.read);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    /// The "store": a counter every write increments; a read returns it and counts.
    #[derive(Default)]
    struct Store {
        value: AtomicU64,
        reads: AtomicU64,
    }

    impl Store {
        fn read(&self) -> Result<u64, StoreError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            let value = self.value.load(Ordering::SeqCst);
            // a read takes time, in which writes and new checks go on
            std::thread::sleep(std::time::Duration::from_micros(50));
            Ok(value)
        }
    }

    /// `n` checks spawned at once, and the heads they got.
    async fn checks_together(
        shared: &Arc<SharedHead<u64>>,
        store: &Arc<Store>,
        n: usize,
    ) -> Vec<u64> {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let (shared, store) = (shared.clone(), store.clone());
                tokio::spawn(async move { shared.get(|| store.read()).await })
            })
            .collect();
        let mut heads = Vec::with_capacity(n);
        for t in tasks {
            heads.push(t.await.expect("task").expect("head"));
        }
        heads
    }

    #[tokio::test(flavor = "current_thread")]
    async fn checks_arriving_together_share_one_read() {
        let (shared, store) = (Arc::new(SharedHead::default()), Arc::new(Store::default()));
        store.value.store(7, Ordering::SeqCst);
        assert_eq!(checks_together(&shared, &store, 50).await, vec![7; 50]);
        assert_eq!(
            store.reads.load(Ordering::SeqCst),
            1,
            "one read for 50 checks"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_answer_sees_each_write_made_before_its_check_began() {
        let (shared, store) = (Arc::new(SharedHead::default()), Arc::new(Store::default()));
        let checkers: Vec<_> = (0..8)
            .map(|_| {
                let (shared, store) = (shared.clone(), store.clone());
                tokio::spawn(async move {
                    for _ in 0..500 {
                        let before = store.value.load(Ordering::SeqCst);
                        let head = shared.get(|| store.read()).await.expect("head");
                        assert!(head >= before, "head {head} misses write {before}");
                    }
                })
            })
            .collect();
        let writer = {
            let store = store.clone();
            tokio::spawn(async move {
                for _ in 0..5_000 {
                    store.value.fetch_add(1, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                }
            })
        };
        for c in checkers {
            c.await.expect("checker");
        }
        writer.await.expect("writer");
        assert!(store.reads.load(Ordering::SeqCst) <= 4_000);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn without_company_a_reader_reads_at_once_and_probes_now_and_then() {
        let (shared, store) = (SharedHead::default(), Store::default());
        for _ in 0..10 * PROBE {
            shared.get(|| store.read()).await.expect("head");
        }
        // one check at a time: only the probes waited
        assert_eq!(shared.rounds_waited(), 10);
        assert_eq!(store.reads.load(Ordering::SeqCst), 10 * PROBE);
        // load comes back: the next probe finds company, and the rounds wait again
        let shared = Arc::new(shared);
        let store = Arc::new(store);
        for _ in 0..2 * PROBE {
            checks_together(&shared, &store, 8).await;
        }
        let reads = store.reads.load(Ordering::SeqCst) - 10 * PROBE;
        assert!(
            reads < 4 * PROBE,
            "{reads} reads for {} checks arriving 8 at a time",
            16 * PROBE
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_failed_read_fails_its_round_and_the_next_round_reads_again() {
        let shared = Arc::new(SharedHead::<u64>::default());
        let fail = Arc::new(AtomicU64::new(1));
        let read = {
            let fail = fail.clone();
            move || {
                if fail.load(Ordering::SeqCst) == 1 {
                    Err(StoreError::Encoding("disk gone".into()))
                } else {
                    Ok(3)
                }
            }
        };
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let (shared, read) = (shared.clone(), read.clone());
                tokio::spawn(async move { shared.get(read).await })
            })
            .collect();
        for t in tasks {
            let e = t.await.expect("task").expect_err("failed round");
            assert!(e.to_string().contains("disk gone"), "{e}");
        }
        fail.store(0, Ordering::SeqCst);
        assert_eq!(shared.get(read).await.expect("head"), 3);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_cancelled_reader_still_reads_for_its_round() {
        let (shared, store) = (Arc::new(SharedHead::default()), Arc::new(Store::default()));
        store.value.store(5, Ordering::SeqCst);
        // the reader opens round 1 and is dropped at its yield
        let reader = {
            let (shared, store) = (shared.clone(), store.clone());
            tokio::spawn(async move { shared.get(|| store.read()).await })
        };
        let member = {
            let (shared, store) = (shared.clone(), store.clone());
            tokio::spawn(async move { shared.get(|| store.read()).await })
        };
        tokio::task::yield_now().await; // both have arrived, the reader is at its yield
        reader.abort();
        let waited = tokio::time::timeout(std::time::Duration::from_secs(5), member)
            .await
            .expect("the member is not left waiting");
        assert_eq!(waited.expect("task").expect("head"), 5);
    }
}
