//! A tour of tether's loop: tasks, a timer, callbacks and a wake from another
//! thread, each printed with its time since the start, in the order the loop
//! ran them.
//!
//! ```text
//! cargo run --release --example tour
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use tether::time::sleep;

fn main() {
    let start = Instant::now();
    // Prints one line of the tour, stamped with the time since `start`.
    let say = move |what: &str| {
        let ms = start.elapsed().as_secs_f64() * 1e3;
        println!("{ms:8.3} ms  {what}");
    };

    let rt = tether::Runtime::new().expect("cannot create the runtime");
    let handle = rt.handle();
    rt.block_on(async move {
        say("main: started; spawning, scheduling and sending work off");

        // A task: runs at the loop's next run step, in spawn order.
        let task = tether::spawn(async move {
            say("task: first run");
            tether::yield_now().await;
            say("task: ran again, one iteration later, after yield_now");
            6 * 7
        });

        // Callbacks: FIFO with the tasks; a timed one, after its delay.
        let _ = tether::call_soon(move || say("callback: call_soon, right behind the task"));
        let _ = tether::call_later(Duration::from_millis(20), move || {
            say("callback: call_later, 20 ms after it was scheduled")
        });

        // A timer: the task sleeps on the loop's timer wheel.
        let sleeper = tether::spawn(async move {
            sleep(Duration::from_millis(10)).await;
            say("timer: a 10 ms sleep ended");
        });

        // A wake from another thread: a plain std thread works for 30 ms,
        // then wakes the waiting task through its (Send + Sync) waker.
        let from_thread = tether::spawn(async move {
            let answer = on_another_thread(|| {
                thread::sleep(Duration::from_millis(30));
                "computed on a plain thread"
            })
            .await;
            say(&format!("wake: another thread woke the loop: {answer}"));
        });

        say("main: waiting for the task");
        let value = task.await.unwrap();
        say(&format!("main: the task returned {value}"));
        sleeper.await.unwrap();
        from_thread.await.unwrap();
        say("main: everything finished");
    });

    let metrics = handle.metrics();
    println!(
        "\nthe loop ran {} iterations, {} runs, polled the reactor {} times, \
         went to sleep {} times, and was woken by another thread {} time(s)",
        metrics.iterations, metrics.runs, metrics.polls, metrics.parks, metrics.wakeup_writes
    );
}

/// Runs `work` on a new std thread; the returned future completes with its
/// result. The thread hands the result over and wakes the task, from outside
/// the loop: the loop wakes up through its injection queue, which unparks
/// the loop's thread (this loop watches no socket; one that does sleeps in
/// the poller, and is woken through its eventfd on Linux).
fn on_another_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> impl Future<Output = T> {
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        waker: None,
    }));
    let theirs = slot.clone();
    thread::spawn(move || {
        let value = work();
        let waker = {
            let mut slot = theirs.lock().unwrap();
            slot.value = Some(value);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    });
    FromThread { slot }
}

/// The value a thread sends back, and the waker of the task waiting for it.
struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

/// Completes when the thread has filled the slot.
struct FromThread<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> Future for FromThread<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.slot.lock().unwrap();
        match slot.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
