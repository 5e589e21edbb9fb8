//! Model: stopping a loop while other threads submit to it
//! (`Handle::stop`, `LoopThread::on_stop` and the runtime's shutdown,
//! `Core::shutdown`, over `bridge/src/inject.rs`).
//!
//! The executor's stop protocol, with the loop reduced to its handling of
//! the injection queue. A stopper thread registers a stop callback
//! (`LoopThread::on_stop`) and pushes `Stop` (`LoopThread::stop`, through
//! `Handle::stop`); a submitter thread pushes a callback for the loop
//! (`Handle::call_soon`) and then a stop callback of its own. The loop
//! takes what was sent (step 4) and runs each item in its turn (step 6),
//! and sleeps, until it takes `Stop`; it runs the stop callbacks, then
//! shuts down: it closes the queue, taking what got in before the close
//! (`Core::shutdown`), and runs the stop callbacks that came with it.
//! A push refused because the queue closed hands its item back, and the
//! submitter runs a refused stop callback itself, as `on_stop` does.
//!
//! What it proves, over every interleaving within the bound:
//! - the loop stops: a `Stop` pushed while it sleeps wakes it (otherwise
//!   loom reports a deadlock);
//! - every submission runs exactly once or is handed back exactly once,
//!   whether it lands before the stop, between the stop and the close, or
//!   after the close;
//! - every stop callback runs exactly once: on the loop, or, when the loop
//!   is gone, on the thread that registered it.
//!
//! Seeded bugs it catches (`loom-tests/README.md` has the table):
//! `inject_close_after_drain` (a push between the last take and the
//! close is accepted and never run), `inject_park_store`.
//!
//! Bound: at most two preemptions, over three threads and four pushes:
//! enough for the submitter's push to land between the loop's last take
//! and its close while the stopper is preempted inside its own push. A
//! deeper run (three) takes about a minute and a half.

use std::collections::VecDeque;

use tether_bridge::sync::AtomicUsize;
use tether_bridge::sync::Ordering::SeqCst;
use tether_bridge::{Closed, Inject, TransitionToParked};
use tether_loom_tests::sync::Arc;
use tether_loom_tests::{Bound, FakeEventfd, model, thread};

/// What other threads send the loop, as the executor's `Injected`.
enum Message {
    /// A callback for the loop to run (`Handle::call_soon`, asyncio's
    /// `call_soon_threadsafe`).
    Work(Box<dyn FnOnce() + Send>),
    /// `Handle::stop`.
    Stop,
    /// `LoopThread::on_stop`.
    OnStop(Box<dyn FnOnce() + Send>),
}

/// The loop's side: its queue handling, `run_forever` and `shutdown`.
#[derive(Default)]
struct Loop {
    stop_requested: bool,
    on_stop: Vec<Box<dyn FnOnce() + Send>>,
}

impl Loop {
    /// `Core::accept`: one item from another thread.
    fn accept(&mut self, message: Message) {
        match message {
            Message::Work(callback) => callback(),
            Message::Stop => self.stop_requested = true,
            Message::OnStop(callback) => self.on_stop.push(callback),
        }
    }

    fn run_stop_callbacks(&mut self) {
        for callback in self.on_stop.drain(..) {
            callback();
        }
    }

    /// Takes, in turn, the items of a batch step 4 took (`Core::accept`).
    fn take_batch(&mut self, batch: VecDeque<Message>) {
        for message in batch {
            self.accept(message);
        }
    }

    /// `run_forever`, then the runtime's drop.
    fn run(mut self, inject: &Inject<Message, FakeEventfd>) {
        while !self.stop_requested {
            // Step 4 takes a batch; step 6 takes each item in its turn.
            let mut batch = VecDeque::new();
            inject.take(&mut batch);
            self.take_batch(batch);
            if self.stop_requested {
                break;
            }
            match inject.transition_to_parked() {
                TransitionToParked::Sleep => {
                    inject.notifier().sleep();
                    inject.transition_to_awake();
                }
                TransitionToParked::Drain => {}
            }
        }
        self.run_stop_callbacks();
        // `Core::shutdown`: close, take what got in before, then the stop
        // callbacks that came with it.
        let mut batch = VecDeque::new();
        inject.close(&mut batch);
        self.take_batch(batch);
        self.run_stop_callbacks();
    }
}

/// A callback that counts its runs.
fn counted(runs: &Arc<AtomicUsize>) -> Box<dyn FnOnce() + Send> {
    let runs = runs.clone();
    Box::new(move || {
        runs.fetch_add(1, SeqCst);
    })
}

#[test]
fn submissions_racing_a_stop_run_once_or_come_back_and_stop_callbacks_run_once() {
    model(Bound::Preemptions(2), || {
        let inject = Arc::new(Inject::new(FakeEventfd::new()));
        let work_runs = Arc::new(AtomicUsize::new(0));
        let stop_runs: [Arc<AtomicUsize>; 2] = Default::default();

        // `LoopThread::on_stop` then `LoopThread::stop`.
        let stopper = {
            let (inject, runs) = (inject.clone(), stop_runs[0].clone());
            thread::spawn(move || {
                if let Err(Closed(Message::OnStop(callback))) =
                    inject.push(Message::OnStop(counted(&runs)))
                {
                    callback();
                }
                let _ = inject.push(Message::Stop);
            })
        };
        // `Handle::call_soon`, then `on_stop`, racing the stop.
        let submitter = {
            let (inject, work, runs) = (inject.clone(), work_runs.clone(), stop_runs[1].clone());
            thread::spawn(move || {
                let handed_back = inject.push(Message::Work(counted(&work))).is_err();
                if let Err(Closed(Message::OnStop(callback))) =
                    inject.push(Message::OnStop(counted(&runs)))
                {
                    callback();
                }
                handed_back
            })
        };

        Loop::default().run(&inject);
        stopper.join().unwrap();
        let handed_back = submitter.join().unwrap() as usize;

        let ran = work_runs.load(SeqCst);
        assert_eq!(
            ran + handed_back,
            1,
            "the submission ran {ran} times and came back {handed_back} times"
        );
        for (i, runs) in stop_runs.iter().enumerate() {
            let runs = runs.load(SeqCst);
            assert_eq!(runs, 1, "stop callback {i} ran {runs} times");
        }
    });
}
