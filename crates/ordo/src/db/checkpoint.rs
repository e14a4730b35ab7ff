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
//! for the next round, so the log would never be copied whole, and SQLite only starts the log
//! over once it has been. The writers therefore keep their own checkpoint at
//! `wal_autocheckpoint` pages, which now finds all but the last few commits already copied.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::OpenFlags;
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
        // Syncs the log before copying it, as a writer's checkpoint does.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite_err)?;
        let database = std::fs::File::open(file)
            .map_err(|err| DbErr::Custom(format!("cannot open the database file: {err}")))?;
        // One poke waiting is enough: a round copies everything committed before it starts.
        let (poke, pokes) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("ordo-checkpoint".into())
            .spawn(move || run(conn, database, pokes))
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
fn run(conn: rusqlite::Connection, database: std::fs::File, pokes: mpsc::Receiver<()>) {
    let mut copied = 0;
    while pokes.recv().is_ok() {
        match copy_log(&conn) {
            // SQLite syncs the database file only when a checkpoint reaches the end of the log,
            // which with writers going on is left to theirs: that sync would then carry every
            // page copied here and hold every writer for tens of milliseconds. Synced here, it
            // finds almost nothing left. (An unsynced copy is never a risk: the log keeps every
            // page until a checkpoint that reached its end has synced the database.)
            Ok((_, now)) if now != copied && now > 0 => {
                copied = now;
                if let Err(err) = database.sync_all() {
                    tracing::warn!(error = %err, "cannot sync the database file");
                }
            }
            Ok(_) => {}
            // The writers' own checkpoints still copy the log; nothing is lost.
            Err(err) => tracing::warn!(error = %err, "a background checkpoint failed"),
        }
        std::thread::sleep(REST);
    }
}

/// One passive checkpoint: how many pages the log holds and how many of them are copied.
fn copy_log(conn: &rusqlite::Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get(1)?, row.get(2)?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A poke copies what was committed into the database file: before it the file holds none of
    /// the table's pages, after it all of them.
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
        let pragma = |name: &str| -> u64 {
            writer
                .query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
                .unwrap()
        };
        let size = pragma("page_count") * pragma("page_size");
        let on_file = || std::fs::metadata(&file).unwrap().len();
        assert!(on_file() < size, "the rows are only in the log");
        let checkpointer = Checkpointer::start(&file).unwrap();
        checkpointer.poke();
        checkpointer.poke();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while on_file() < size {
            assert!(
                std::time::Instant::now() < deadline,
                "the log was never copied"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let rows: i64 = writer
            .query_row("SELECT count(*) FROM t", [], |row| row.get(0))
            .unwrap();
        assert_eq!(rows, 500);
    }
}
