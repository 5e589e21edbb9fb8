//! Where there are no pidfds (every OS but Linux and Android): the pidfd
//! backend's types, uninhabited, and a probe that says no.
//!
//! The probe chooses the SIGCHLD backend here (`sigchld.rs`). On macOS
//! and the BSDs, kqueue offers what a pidfd offers on Linux: an
//! `EVFILT_PROC` filter with `NOTE_EXIT` reports a process's exit to the
//! poller itself, and `polling` exposes it (`polling::os::kqueue::Process`).
//! A kqueue backend would register that filter where Linux registers the
//! pidfd, and signal with `kill(pid)` while the child is unreaped (no pid
//! is reused before the reap, the process module's essay).

use std::io;
use std::task::{Context, Poll};

use polling::{Event, Poller};
use rustix::process::Pid;

use super::Exit;
use crate::source_table::SourceTable;

/// A pidfd watch, which cannot exist here.
#[derive(Debug)]
pub(crate) enum PidfdWatch {}

/// The orphans of a loop that cannot have children here: always empty.
#[derive(Debug, Default)]
pub(crate) struct Orphans;

/// There are no pidfds here.
pub(crate) fn probe() -> io::Result<bool> {
    Ok(false)
}

impl PidfdWatch {
    /// Never called: the probe never chooses this backend here.
    pub(crate) fn open(_pid: Pid) -> io::Result<PidfdWatch> {
        Err(io::ErrorKind::Unsupported.into())
    }

    pub(crate) fn poll_exit(&self, _pid: Pid, _cx: &mut Context<'_>) -> Poll<io::Result<Exit>> {
        match *self {}
    }

    pub(crate) fn send_signal(&self, _signal: i32) -> io::Result<()> {
        match *self {}
    }

    pub(crate) fn into_orphan(self, _pid: Pid, _killed: bool) {
        match self {}
    }
}

impl Orphans {
    pub(crate) fn is_empty(&self) -> bool {
        true
    }

    /// No orphan's pidfd was refused: there are none.
    pub(crate) fn has_unwatched(&self) -> bool {
        false
    }

    pub(crate) fn reap(
        &mut self,
        _events: impl Iterator<Item = Event>,
        _sources: &mut SourceTable,
        _poller: &Poller,
    ) {
    }

    pub(crate) fn release(&mut self, _sources: &mut SourceTable, _poller: &Poller) {}
}
