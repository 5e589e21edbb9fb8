//! Thread-crossing scenario 4 of docs/design.md: the image-processor worker. A
//! plain worker thread takes jobs from a blocking queue and sends the results
//! back into the loop; an async wrapper offers `submit(job).await`. Starting
//! and stopping the worker is async too, and never blocks the loop.
//!
//! asyncio: a `queue.Queue` consumer thread whose results come back with
//! `loop.call_soon_threadsafe(future.set_result, ...)`.
//!
//! ```text
//! cargo run --release --example image_worker
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

/// An "image" to process.
#[derive(Debug)]
pub struct Job {
    /// Which job it is.
    pub id: u32,
    /// Its pixels.
    pub pixels: Vec<u8>,
}

/// A processed image.
#[derive(Debug, PartialEq, Eq)]
pub struct Processed {
    /// Which job it was.
    pub id: u32,
    /// The sum of its pixels.
    pub checksum: u64,
    /// The thread that did the work.
    pub worker: String,
}

/// How long one job keeps the worker busy.
pub const WORK: Duration = Duration::from_millis(100);

/// The slow, blocking part: runs on the worker thread.
fn process(job: Job) -> Processed {
    thread::sleep(WORK);
    Processed {
        id: job.id,
        checksum: job.pixels.iter().map(|&p| u64::from(p)).sum(),
        worker: thread::current().name().unwrap_or("?").to_owned(),
    }
}

// ===== a reply from the worker thread into the loop =====

/// Where a worker thread puts one result, and who waits for it.
type Slot<T> = Arc<Mutex<(Option<T>, Option<Waker>)>>;

/// The worker's end: sends one result, waking the waiting task. The wake
/// happens on the worker thread, so it reaches the loop through tether's
/// injection queue, and wakes the loop if it sleeps.
#[derive(Debug)]
struct ReplySender<T>(Slot<T>);

/// The loop's end: a future of the result.
struct Reply<T>(Slot<T>);

fn reply<T>() -> (ReplySender<T>, Reply<T>) {
    let slot = Slot::default();
    (ReplySender(slot.clone()), Reply(slot))
}

impl<T> ReplySender<T> {
    fn send(self, value: T) {
        let waker = {
            let mut slot = self.0.lock().unwrap();
            slot.0 = Some(value);
            slot.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Future for Reply<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.0.lock().unwrap();
        match slot.0.take() {
            Some(value) => Poll::Ready(value),
            None => {
                slot.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

// ===== the worker =====

/// The worker's queue: each job with the way back for its result.
type Queue = mpsc::Sender<(Job, ReplySender<Processed>)>;

/// The async face of the worker thread.
#[derive(Debug)]
pub struct ImageWorker {
    /// The blocking queue of jobs; dropped to tell the worker to finish.
    jobs: RefCell<Option<Queue>>,
    /// The worker thread, joined by `stop`.
    thread: RefCell<Option<thread::JoinHandle<()>>>,
}

impl ImageWorker {
    /// Starts the worker thread and waits, without blocking the loop,
    /// until it says it is ready.
    pub async fn start() -> ImageWorker {
        let (jobs, queue) = mpsc::channel::<(Job, ReplySender<Processed>)>();
        let (ready_tx, ready) = reply::<()>();
        let thread = thread::Builder::new()
            .name("image-worker".to_owned())
            .spawn(move || {
                ready_tx.send(());
                // Blocks on the queue; ends when every sender is gone and
                // the queue is empty.
                for (job, reply) in queue {
                    reply.send(process(job));
                }
            })
            .expect("a worker thread");
        ready.await;
        ImageWorker {
            jobs: RefCell::new(Some(jobs)),
            thread: RefCell::new(Some(thread)),
        }
    }

    /// Hands `job` to the worker and waits for its result.
    pub async fn submit(&self, job: Job) -> Processed {
        let (reply_tx, reply) = reply();
        // The borrow ends before the await: `stop` may come meanwhile.
        self.jobs
            .borrow()
            .as_ref()
            .expect("the worker is running")
            .send((job, reply_tx))
            .expect("the worker thread is alive");
        reply.await
    }

    /// Lets the worker finish the jobs it has, then joins its thread, in
    /// the blocking pool, so that the loop goes on meanwhile.
    pub async fn stop(&self) {
        drop(self.jobs.borrow_mut().take());
        let thread = self.thread.borrow_mut().take().expect("the worker thread");
        tether::spawn_blocking(move || thread.join())
            .await
            .expect("the join job")
            .expect("the worker thread did not panic");
    }
}

// ===== the scenario =====

/// What the scenario found.
#[derive(Debug)]
pub struct Outcome {
    /// The results, in job order.
    pub results: Vec<Processed>,
    /// The longest the loop went without running its ticker task.
    pub longest_stall: Duration,
    /// How long it all took.
    pub elapsed: Duration,
}

/// Runs the scenario: four jobs submitted at once, the worker stopped
/// while they are still being processed, and a ticker that shows whether
/// the loop was ever blocked.
pub fn run_scenario() -> Outcome {
    let start = Instant::now();
    tether::run(async move {
        // A task that ticks every millisecond: a gap in its ticks is a time
        // the loop was blocked.
        let ticks = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let ticker = {
            let ticks = ticks.clone();
            tether::spawn(async move {
                loop {
                    ticks.borrow_mut().push(Instant::now());
                    tether::time::sleep(Duration::from_millis(1)).await;
                }
            })
        };

        let worker = std::rc::Rc::new(ImageWorker::start().await);
        let submissions: Vec<_> = (0..4u32)
            .map(|id| {
                let worker = worker.clone();
                tether::spawn(async move {
                    let pixels = (0..=255u8).cycle().take(1000 * (id as usize + 1)).collect();
                    worker.submit(Job { id, pixels }).await
                })
            })
            .collect();
        // Let the jobs reach the queue, then stop the worker while it still
        // has most of them to do: the join waits for them, off the loop.
        tether::yield_now().await;
        worker.stop().await;
        let mut results = Vec::new();
        for submission in submissions {
            results.push(submission.await.expect("a submission"));
        }
        ticker.cancel();
        let ticks = ticks.borrow();
        let longest_stall = ticks
            .windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or_default();
        Outcome {
            results,
            longest_stall,
            elapsed: start.elapsed(),
        }
    })
}

fn main() {
    let outcome = run_scenario();
    for result in &outcome.results {
        println!(
            "job {} processed by {}: checksum {}",
            result.id, result.worker, result.checksum
        );
    }
    println!(
        "{} jobs of {:?} each in {:?}; the loop never stalled more than {:?}",
        outcome.results.len(),
        WORK,
        outcome.elapsed,
        outcome.longest_stall
    );
}
