//! The task list: every task of the loop that has not completed.
//!
//! The list holds a reference to each live task, so that shutdown can find
//! every one and drop its future (a task that waits forever is referenced
//! by nothing else), and so that a dump can show them. A task's index in
//! the list is in its header (`list_key`), so removing it at completion
//! costs no search.
//!
//! Names live apart, in a table that the first name makes: most programs
//! name no task, and then neither the table's code nor its room is there.
//! The table is a trait object for that reason: its code is reached only
//! through the value the naming path makes, so a program that never names
//! a task does not link it (about 7 KB of a B-tree's insert and remove).
//!
//! Runs are counted in the task's header (`count_run` says why). What a
//! header cannot hold, the runs past 65,535, and debug mode's stamp of a
//! task's last run, lie beside the list in a table by list key that stays
//! empty in most programs (`Aside`), so that an entry is two words: an idle
//! task takes 112 bytes in all, where a three-word entry made it 120
//! (`benches/compare`'s `idle_tasks`).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::Location;
use std::rc::Rc;
use std::time::Instant;

use slab::Slab;

use crate::id::{TaskId, TaskKind};
use crate::observe::{DebugMode, Dump, RunInfo, Stamp, TaskInfo, TaskStatus};
use crate::task::TaskRef;

/// The live tasks of one loop, and their names. Loop thread only.
#[derive(Default)]
pub(super) struct TaskList {
    /// Every task that has not completed, each with a reference.
    tasks: RefCell<Slab<Listed>>,
    /// The names given with `task::Builder`, by task, once one was given.
    /// Apart from the list: most tasks have none, and a name in every entry
    /// would cost each task two words.
    names: RefCell<Option<Box<dyn NameTable>>>,
    /// What the list keeps of a task beyond its entry, by list key: runs
    /// past what the task's header holds, and debug mode's stamp. Empty
    /// until a header's count first fills up or debug mode stamps a run
    /// (`count_run`); apart from the list, as the names are, so that an
    /// entry is two words.
    aside: RefCell<Vec<Aside>>,
}

/// What `TaskList::aside` keeps of one task.
#[derive(Clone, Copy, Default)]
struct Aside {
    /// Runs beyond what the task's header holds: 65,536 each time its
    /// count filled up; saturating.
    more_runs: u32,
    /// When the last run began; debug mode only.
    last_run: Stamp,
}

/// Names by task: what the task list needs of a map.
trait NameTable {
    /// Names a task.
    fn insert(&mut self, id: TaskId, name: Rc<str>);
    /// A task's name, if it has one.
    fn get(&self, id: TaskId) -> Option<Rc<str>>;
    /// Takes a task's name out.
    fn remove(&mut self, id: TaskId) -> Option<Rc<str>>;
}

impl NameTable for BTreeMap<TaskId, Rc<str>> {
    fn insert(&mut self, id: TaskId, name: Rc<str>) {
        BTreeMap::insert(self, id, name);
    }

    fn get(&self, id: TaskId) -> Option<Rc<str>> {
        BTreeMap::get(self, &id).cloned()
    }

    fn remove(&mut self, id: TaskId) -> Option<Rc<str>> {
        BTreeMap::remove(self, &id)
    }
}

/// A live task, as the list keeps it.
///
/// Two words: `slab`'s entry for it stays two words too, its vacancy tag
/// hiding in one pointer's niche and the next free key in the other's
/// bytes. The run count is in the task's header and, past 65,535, beside
/// the list (`TaskList::aside`), as is debug mode's stamp.
struct Listed {
    /// The list's reference to the task.
    task: TaskRef,
    /// Where the task was spawned.
    spawned_at: &'static Location<'static>,
}

// The two words the entry's docs promise, on the 64-bit targets where
// the idle task's 112 bytes were measured.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(size_of::<Listed>() == 16);

impl TaskList {
    /// Adds a task, with the list's own reference.
    pub(super) fn insert(&self, task: TaskRef, spawned_at: &'static Location<'static>) {
        let mut tasks = self.tasks.borrow_mut();
        let entry = tasks.vacant_entry();
        let key =
            u32::try_from(entry.key()).expect("tether: more than 2^32 live tasks on one loop");
        task.header().list_key.set(key);
        entry.insert(Listed { task, spawned_at });
    }

    /// Removes a completed task, releasing the list's reference.
    pub(super) fn remove(&self, task: &TaskRef) {
        let key = task.header().list_key.get() as usize;
        let listed = self.tasks.borrow_mut().remove(key);
        debug_assert_eq!(listed.task.id(), task.id());
        // The next task given this key starts from nothing. (The table is
        // empty in most programs: then this is a borrow and a comparison.)
        if let Some(aside) = self.aside.borrow_mut().get_mut(key) {
            *aside = Aside::default();
        }
        let name = self.forget_name(task.id());
        // Released after the borrows: the caller's reference keeps the task
        // alive, but a destructor must never find the list borrowed.
        drop((listed, name));
    }

    /// Names a live task; the first name makes the table.
    pub(super) fn set_name(&self, id: TaskId, name: Rc<str>) {
        self.names
            .borrow_mut()
            .get_or_insert_with(|| Box::new(BTreeMap::new()))
            .insert(id, name);
    }

    /// A live task's name, if it was given one.
    pub(super) fn name(&self, id: TaskId) -> Option<Rc<str>> {
        self.names.borrow().as_ref()?.get(id)
    }

    /// Takes a finished task's name out of the table (most have none).
    fn forget_name(&self, id: TaskId) -> Option<Rc<str>> {
        self.names.borrow_mut().as_mut()?.remove(id)
    }

    /// Counts a run of `task`, and stamps its start.
    ///
    /// The count goes to the task's header, which the run is about to read
    /// anyway; only every 65,536th run, and every run in debug mode (which
    /// stamps it), reaches the table beside the list. Tasks run in the
    /// order they are woken, not the order they were spawned in, so a
    /// table indexed by task is rarely in cache: counting every run in the
    /// task's list entry cost a cache miss per run. With 100,000 sleeping
    /// tasks firing in the order of their deadlines (`benches/compare`'s
    /// `timers`), that miss had an eighth of the process's CPU time (130
    /// ms against 114 without it, medians of twelve alternated runs), and
    /// the loop fell behind its timers, up to 32 ms in one run.
    #[inline]
    pub(super) fn count_run(&self, task: &TaskRef, stamp: Stamp) {
        let runs = &task.header().runs;
        let count = runs.get().checked_add(1);
        // A full count starts again from zero, its 65,536 runs aside.
        runs.set(count.unwrap_or(0));
        if count.is_none() || stamp != Stamp::NONE {
            self.count_run_aside(task, count.is_none(), stamp);
        }
    }

    /// `count_run`'s other path: a header whose count was `full` hands its
    /// 65,536 runs to the task's `Aside`, where debug mode's stamp goes
    /// too. A task that is not in the list has nothing kept for it.
    #[inline(never)]
    fn count_run_aside(&self, task: &TaskRef, full: bool, stamp: Stamp) {
        let key = task.header().list_key.get() as usize;
        let listed = self.tasks.borrow().get(key).map(|listed| listed.task.id());
        if listed != Some(task.id()) {
            return;
        }
        let mut table = self.aside.borrow_mut();
        if table.len() <= key {
            table.resize(key + 1, Aside::default());
        }
        let aside = &mut table[key];
        if full {
            aside.more_runs = aside.more_runs.saturating_add(1 << u16::BITS);
        }
        if stamp != Stamp::NONE {
            aside.last_run = stamp;
        }
    }

    /// What the list keeps of the task at `key` beyond its entry.
    fn aside(&self, key: usize) -> Aside {
        self.aside.borrow().get(key).copied().unwrap_or_default()
    }

    /// What debug mode will say of a run of `task` if it is slow.
    pub(super) fn run_info(&self, task: &TaskRef) -> RunInfo {
        let key = task.header().list_key.get() as usize;
        RunInfo {
            task: Some(task.id()),
            kind: task.header().kind,
            name: self.name(task.id()),
            // The key of a task no longer listed may be another's by now.
            spawned_at: self
                .tasks
                .borrow()
                .get(key)
                .filter(|listed| listed.task.id() == task.id())
                .map(|listed| listed.spawned_at),
        }
    }

    /// The live tasks, by id. `main_running` says whether the `block_on`
    /// future is being polled now; `clock`, debug mode's, gives the time
    /// since each task's last run.
    pub(super) fn dump(&self, main_running: bool, clock: Option<(&DebugMode, Instant)>) -> Dump {
        let names = self.names.borrow();
        let name = |id| names.as_ref()?.get(id);
        let mut tasks: Vec<TaskInfo> = self
            .tasks
            .borrow()
            .iter()
            .filter_map(|(key, listed)| {
                let aside = self.aside(key);
                let (id, kind) = (listed.task.id(), listed.task.header().kind);
                let state = listed.task.snapshot();
                let status = match kind {
                    // The stand-in of a `block_on` that returned waits to be
                    // dropped at its next run; it stands in for nothing any
                    // more.
                    TaskKind::BlockOn if state.is_cancelled() => return None,
                    TaskKind::BlockOn if main_running => TaskStatus::Running,
                    _ => TaskStatus::of(state),
                };
                Some(TaskInfo {
                    id,
                    kind,
                    name: name(id).map(|name| name.to_string()),
                    spawned_at: listed.spawned_at,
                    status,
                    runs: aside
                        .more_runs
                        .saturating_add(listed.task.header().runs.get().into()),
                    since_last_run: clock.and_then(|(debug, now)| debug.since(aside.last_run, now)),
                })
            })
            .collect();
        tasks.sort_by_key(|task| task.id);
        Dump { tasks }
    }

    /// Takes every task out of the list, with the list's references. The
    /// keys start again from zero, so what was kept beside the list goes
    /// too: a task spawned by a destructor during shutdown starts from
    /// nothing.
    pub(super) fn drain(&self) -> Vec<TaskRef> {
        self.aside.borrow_mut().clear();
        self.tasks
            .borrow_mut()
            .drain()
            .map(|listed| listed.task)
            .collect()
    }

    /// Forgets every name. Names are plain strings: clearing them in the
    /// borrow runs no destructor that could reach the loop.
    pub(super) fn clear_names(&self) {
        *self.names.borrow_mut() = None;
    }

    /// How many tasks are live.
    pub(super) fn len(&self) -> usize {
        self.tasks.borrow().len()
    }
}
