//! Copying SQLite's write-ahead log into the database beside the writers, not in their turn.
//!
//! SQLite copies the log into the database (a checkpoint) on the connection that committed, once
//! the log has grown past `wal_autocheckpoint` pages: the writer reads every page the log holds,
//! writes it into the database file and syncs that file, and every writer waits meanwhile. Under
//! a steady stream of created orders that was a stall of tens of milliseconds several times a
//! second.
//!
//! This thread, poked after each commit, copies the log with a passive checkpoint on a
//! connection of its own: it never blocks a writer or a reader, and copies only what every
//! reader has moved past. It cannot finish the job alone: commits made while it copies are left
//! for the next round, so under load the log is never copied whole (a round reaches its end only
//! when writes pause), and SQLite only starts the log over once it has been. So once the log is
//! long, the thread follows its round with a second, short one for what was committed during
//! the first, and asks for the log to be finished: the committer then has the batch writer's
//! connection copy the rest between two groups, while no one writes, and the next commit starts
//! the log over. That pause copies what a few milliseconds of commits wrote. The writers keep
//! their own checkpoint at `wal_autocheckpoint` pages, should the thread fall behind.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use rusqlite::{ffi, OpenFlags};
use sea_orm::DbErr;

use super::rows::sqlite_err;

/// Rest between two rounds, so that a page changed by many commits meanwhile is copied once, and
/// the database file is synced a few times a second rather than after every commit.
const REST: Duration = Duration::from_millis(200);

/// Pages in the log from which the thread follows a round with a short one and asks for the log
/// to be finished: half the writers' own limit, which the log then never reaches while the thread
/// keeps up.
const FINISH_AT: i64 = super::WAL_CHECKPOINT_PAGES as i64 / 2;

/// Copies the log of one SQLite database while writers go on (see the module's text).
pub struct Checkpointer {
    poke: mpsc::SyncSender<()>,
    /// Set when the log is copied but for its last pages and a writer should finish it.
    finish: Arc<AtomicBool>,
}

impl Checkpointer {
    /// Opens a connection to the database in `file` (already in WAL mode) and starts the thread.
    pub fn start(file: &Path) -> Result<Checkpointer, DbErr> {
        let conn = rusqlite::Connection::open_with_flags(
            file,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite_err)?;
        // One poke waiting is enough: a round copies everything committed before it starts.
        let (poke, pokes) = mpsc::sync_channel(1);
        let finish = Arc::new(AtomicBool::new(false));
        let asks = finish.clone();
        std::thread::Builder::new()
            .name("ordo-checkpoint".into())
            .spawn(move || run(conn, pokes, &asks))
            .map_err(|err| DbErr::Custom(format!("cannot start the checkpoint thread: {err}")))?;
        Ok(Checkpointer { poke, finish })
    }

    /// Something was committed: the log has pages to copy.
    pub fn poke(&self) {
        let _ = self.poke.try_send(());
    }

    /// Whether the log should be finished now, between two groups (asked once per request).
    pub fn take_finish(&self) -> bool {
        self.finish.swap(false, Ordering::AcqRel)
    }
}

/// Copies the log after each poke, resting between rounds; ends when the [`Checkpointer`] is
/// dropped.
fn run(conn: rusqlite::Connection, pokes: mpsc::Receiver<()>, finish: &AtomicBool) {
    // Pages of the log known to be copied and synced.
    let mut synced = 0;
    while pokes.recv().is_ok() {
        let round = copy_and_sync(&conn, &mut synced);
        // A long log: one more round, short, for what was committed during that one; then a
        // finish has only the last few milliseconds' commits to copy.
        if round.is_some_and(|round| round.log >= FINISH_AT) {
            let last = copy_and_sync(&conn, &mut synced);
            if last.is_some_and(|last| last.copied == last.log) {
                finish.store(true, Ordering::Release);
            }
        }
        std::thread::sleep(REST);
    }
}

/// One round: a passive checkpoint, then a sync of the database file. SQLite syncs that file
/// itself only when a checkpoint reaches the end of the log as it is when the copy ends, which
/// under load it never does (commits go on meanwhile, though the answer shows every page
/// copied): the sync would be left to a finish or to the writers, carry every page copied here
/// and hold every writer for tens of milliseconds. (An unsynced copy is never a risk: the log
/// keeps every page until a checkpoint that reached its end has synced the database.) None when
/// either failed; the writers' own checkpoints still copy the log, so nothing is lost.
fn copy_and_sync(conn: &rusqlite::Connection, synced: &mut i64) -> Option<Copied> {
    let round = match copy_log(conn) {
        Ok(round) => round,
        Err(err) => {
            tracing::warn!(error = %err, "a background checkpoint failed");
            return None;
        }
    };
    if round.copied > 0 && round.copied != *synced {
        if let Err(err) = sync_database(conn) {
            tracing::warn!(error = %err, "cannot sync the database file");
            return None;
        }
        *synced = round.copied;
    }
    Some(round)
}

/// What a checkpoint left: pages in the log, and how many of them are copied into the database.
#[derive(Clone, Copy)]
struct Copied {
    log: i64,
    copied: i64,
}

/// One passive checkpoint. (A database not in WAL mode answers -1 for both.)
fn copy_log(conn: &rusqlite::Connection) -> rusqlite::Result<Copied> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok(Copied {
            log: row.get(1)?,
            copied: row.get(2)?,
        })
    })
}

/// Syncs the database file through the connection's own handle on it. A handle of our own would
/// do the same, but closing it would drop every POSIX lock this process holds on the file,
/// SQLite's included, and let another process take the database for unused.
fn sync_database(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    let failed = |code| rusqlite::Error::SqliteFailure(ffi::Error::new(code), None);
    let mut file: *mut ffi::sqlite3_file = std::ptr::null_mut();
    // SAFETY: `conn` is open and used by this thread alone; SQLITE_FCNTL_FILE_POINTER writes the
    // main database's file object, owned by the connection, into `file`.
    let code = unsafe {
        ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            ffi::SQLITE_FCNTL_FILE_POINTER,
            (&mut file as *mut *mut ffi::sqlite3_file).cast(),
        )
    };
    if code != ffi::SQLITE_OK || file.is_null() {
        return Err(failed(code));
    }
    // SAFETY: `file` stays valid while `conn` is open; its methods are null only for a file
    // that failed to open, and no statement of `conn` runs meanwhile.
    let sync = unsafe { (*file).pMethods.as_ref().and_then(|methods| methods.xSync) };
    let Some(sync) = sync else {
        return Err(failed(ffi::SQLITE_MISUSE));
    };
    // SAFETY: as above; xSync only syncs the file it is given.
    match unsafe { sync(file, ffi::SQLITE_SYNC_NORMAL) } {
        ffi::SQLITE_OK => Ok(()),
        code => Err(failed(code)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A poke copies what was committed into the database file: a copy of that file alone, without
    /// the log, holds every row.
    #[test]
    fn a_poke_copies_the_committed_log_into_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("copied.db");
        let writer = rusqlite::Connection::open(&file).unwrap();
        writer
            .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
        writer
            .execute_batch(
                "PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE t (n INTEGER PRIMARY KEY, filler TEXT);
                 WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 500)
                 INSERT INTO t SELECT v, hex(randomblob(200)) FROM s",
            )
            .unwrap();
        let rows_in_file_alone = || super::super::rows_in_file_alone(&file, "t");
        assert_eq!(rows_in_file_alone(), 0, "the rows are only in the log");
        let checkpointer = Checkpointer::start(&file).unwrap();
        checkpointer.poke();
        checkpointer.poke();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while rows_in_file_alone() < 500 {
            assert!(
                std::time::Instant::now() < deadline,
                "the log was never copied"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(rows_in_file_alone(), 500);
    }

    /// The database file is synced through SQLite's own handle on it.
    #[test]
    fn the_database_file_is_synced_through_the_connection() {
        let dir = tempfile::tempdir().unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("synced.db")).unwrap();
        conn.execute_batch("CREATE TABLE t (n)").unwrap();
        sync_database(&conn).unwrap();
    }
}
