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
//! when writes pause), and SQLite only starts the log over once it has been. The writers
//! therefore keep their own checkpoint at `wal_autocheckpoint` pages, which now finds everything
//! copied but what was committed since the last round began.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{ffi, OpenFlags};
use sea_orm::DbErr;

use super::rows::sqlite_err;

/// Rest between two rounds, so that a page changed by many commits meanwhile is copied once, and
/// the database file is synced a few times a second rather than after every commit.
const REST: Duration = Duration::from_millis(200);

/// Copies the log of one SQLite database while writers go on (see the module's text).
pub struct Checkpointer {
    poke: mpsc::SyncSender<()>,
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
        std::thread::Builder::new()
            .name("ordo-checkpoint".into())
            .spawn(move || run(conn, pokes))
            .map_err(|err| DbErr::Custom(format!("cannot start the checkpoint thread: {err}")))?;
        Ok(Checkpointer { poke })
    }

    /// Something was committed: the log has pages to copy.
    pub fn poke(&self) {
        let _ = self.poke.try_send(());
    }
}

/// Copies the log after each poke, resting between rounds; ends when the [`Checkpointer`] is
/// dropped.
fn run(conn: rusqlite::Connection, pokes: mpsc::Receiver<()>) {
    // Pages of the log known to be copied and synced.
    let mut synced = 0;
    while pokes.recv().is_ok() {
        match copy_log(&conn) {
            // SQLite syncs the database file only when a checkpoint reaches the end of the log,
            // which with writers going on is mostly left to theirs: that sync would then carry
            // every page copied here and hold every writer for tens of milliseconds. Synced
            // here, it finds little left. (An unsynced copy is never a risk: the log keeps every
            // page until a checkpoint that reached its end has synced the database.)
            Ok(Copied { log, copied }) if copied > 0 && copied < log && copied != synced => {
                match sync_database(&conn) {
                    Ok(()) => synced = copied,
                    Err(err) => tracing::warn!(error = %err, "cannot sync the database file"),
                }
            }
            Ok(_) => {}
            // The writers' own checkpoints still copy the log; nothing is lost.
            Err(err) => tracing::warn!(error = %err, "a background checkpoint failed"),
        }
        std::thread::sleep(REST);
    }
}

/// What a checkpoint left: pages in the log, and how many of them are copied into the database.
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
        let rows_in_file_alone = || {
            let alone = dir.path().join("alone.db");
            std::fs::copy(&file, &alone).unwrap();
            let conn = rusqlite::Connection::open(&alone).unwrap();
            let rows = conn.query_row("SELECT count(*) FROM t", [], |row| row.get::<_, i64>(0));
            drop(conn);
            std::fs::remove_file(&alone).unwrap();
            rows.unwrap_or(0)
        };
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
