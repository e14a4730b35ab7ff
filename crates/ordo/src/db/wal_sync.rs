//! Durability of SQLite's group commits, without the next group waiting for the disk.
//!
//! The writer connection commits with `synchronous=NORMAL`: SQLite appends the group's pages to
//! the write-ahead log and lets the next group in at once, without waiting for the disk. The
//! group's members hear "committed" only after this module's thread has synced the log file,
//! which puts that commit, and every commit before it, on disk; meanwhile the next group is
//! already writing, and one sync serves every group that committed while the last one ran.
//!
//! What an acknowledged write guarantees is what `synchronous=FULL` gives: it survives a crash of
//! the process or of the machine. (In this mode SQLite still syncs the log before copying it into
//! the database and before reusing it, so a crash never leaves the file inconsistent.) The one
//! difference: another connection can read a group's data up to one sync (a few milliseconds)
//! before it is on disk, and would not find it after a power cut in that moment.
//!
//! Copying the log into the database (checkpoints) is done beside the writers by
//! [`super::checkpoint`], but the last step stays with the writers' connection, between two
//! groups: a checkpoint made elsewhere runs beside the next group's writes and under load never
//! catches up with them, and SQLite could then never start the log over, so it would grow without
//! end.

use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;

use sea_orm::DbErr;
use tokio::sync::oneshot;

/// What a group's members are told: committed and on disk, or why not.
pub type Outcome = Result<(), Arc<DbErr>>;

/// Members waiting for their group to be on disk.
type Waiting = Vec<oneshot::Sender<Outcome>>;

/// Puts what the writer committed on disk before its members are told.
pub struct WalSync {
    queue: mpsc::Sender<Waiting>,
}

/// The work of the sync thread, apart from the thread so tests can watch it.
pub trait Disk: Send + 'static {
    /// Makes everything committed so far durable.
    fn sync(&mut self) -> std::io::Result<()>;
}

impl WalSync {
    /// Starts the sync thread for the SQLite database in `file`.
    pub fn start(file: PathBuf) -> std::io::Result<WalSync> {
        let mut log = file.into_os_string();
        log.push("-wal");
        WalSync::with_disk(SqliteLog(log.into()))
    }

    pub fn with_disk(disk: impl Disk) -> std::io::Result<WalSync> {
        let (queue, waiting) = mpsc::channel();
        std::thread::Builder::new()
            .name("ordo-wal-sync".into())
            .spawn(move || run(disk, waiting))?;
        Ok(WalSync { queue })
    }

    /// Tells `waiting` the outcome once what was committed before this call is on disk.
    pub fn after_sync(&self, waiting: Waiting) {
        if let Err(mpsc::SendError(waiting)) = self.queue.send(waiting) {
            let err = Arc::new(DbErr::Custom("the log sync thread has stopped".into()));
            for member in waiting {
                let _ = member.send(Err(err.clone()));
            }
        }
    }

    /// Waits until everything committed before this call is on disk.
    pub async fn flush(&self) -> Result<(), DbErr> {
        let (tell, told) = oneshot::channel();
        self.after_sync(vec![tell]);
        match told.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(DbErr::Custom(err.to_string())),
            Err(_) => Err(DbErr::Custom("the log sync thread has stopped".into())),
        }
    }
}

/// Syncs for every batch of waiting members (all that queued up while the last sync ran) and
/// tells them; ends when the [`WalSync`] is dropped.
fn run(mut disk: impl Disk, queue: mpsc::Receiver<Waiting>) {
    while let Ok(mut waiting) = queue.recv() {
        while let Ok(more) = queue.try_recv() {
            waiting.extend(more);
        }
        let outcome = disk.sync().map_err(|err| {
            tracing::error!(error = %err, "cannot sync the SQLite log; commits are not confirmed");
            Arc::new(DbErr::Custom(format!(
                "cannot sync the database log: {err}"
            )))
        });
        for member in waiting {
            let _ = member.send(outcome.clone());
        }
    }
}

/// The write-ahead log of a SQLite database.
struct SqliteLog(PathBuf);

impl Disk for SqliteLog {
    fn sync(&mut self) -> std::io::Result<()> {
        // Opened each time: a file handle kept from before the log was ever removed and made
        // again would sync the old file. fsync covers the file's data whoever wrote it.
        std::fs::File::open(&self.0)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A disk whose syncs say when they start, wait for the test's word and are counted.
    struct HeldDisk {
        started: mpsc::Sender<()>,
        go: mpsc::Receiver<std::io::Result<()>>,
        syncs: Arc<AtomicUsize>,
    }

    impl Disk for HeldDisk {
        fn sync(&mut self) -> std::io::Result<()> {
            let _ = self.started.send(());
            let outcome = self.go.recv().expect("the test decides each sync");
            self.syncs.fetch_add(1, Ordering::SeqCst);
            outcome
        }
    }

    fn waiting(n: usize) -> (Waiting, Vec<oneshot::Receiver<Outcome>>) {
        (0..n).map(|_| oneshot::channel()).unzip()
    }

    #[tokio::test]
    async fn members_hear_of_their_commit_only_after_the_sync_and_share_one() {
        let (go, held) = mpsc::channel();
        let (started, sync_started) = mpsc::channel();
        let syncs = Arc::new(AtomicUsize::new(0));
        let sync = WalSync::with_disk(HeldDisk {
            started,
            go: held,
            syncs: syncs.clone(),
        })
        .unwrap();
        let (first, mut first_told) = waiting(2);
        sync.after_sync(first);
        // The sync has begun and not ended: nobody has been told.
        sync_started.recv().unwrap();
        assert!(first_told.iter_mut().all(|t| t.try_recv().is_err()));
        // Two groups commit while the first sync is held: they share the next one.
        let (second, second_told) = waiting(3);
        let (third, third_told) = waiting(1);
        sync.after_sync(second);
        sync.after_sync(third);
        go.send(Ok(())).unwrap();
        for told in first_told {
            assert!(told.await.unwrap().is_ok());
        }
        go.send(Err(std::io::Error::other("disk gone"))).unwrap();
        for told in second_told.into_iter().chain(third_told) {
            let err = told.await.unwrap().unwrap_err();
            assert!(err.to_string().contains("disk gone"), "{err}");
        }
        assert_eq!(syncs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn the_log_of_a_real_database_is_synced() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("synced.db");
        let conn = rusqlite::Connection::open(&file).unwrap();
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
        conn.execute_batch("CREATE TABLE t (n); INSERT INTO t VALUES (1)")
            .unwrap();
        let sync = WalSync::start(file.clone()).unwrap();
        sync.flush().await.unwrap();
        // A missing log is an error, never a silent success.
        drop(conn);
        let gone = WalSync::start(dir.path().join("missing.db")).unwrap();
        assert!(gone.flush().await.is_err());
    }
}
