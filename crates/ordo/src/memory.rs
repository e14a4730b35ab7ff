//! Handing memory the server no longer uses back to the operating system.

/// Returns to the operating system the pages the allocator (mimalloc, set in `main.rs`) keeps from
/// work that has ended. mimalloc returns freed pages lazily, when later allocations come along;
/// after start-up (migrations, search backfill, planner statistics) an idle server has none, and
/// kept 1-2 MB that way.
///
/// SQLite allocates through the C library's `malloc`, which keeps what is freed in per-thread
/// arenas; on glibc its free pages are handed back too.
pub fn release_freed() {
    // SAFETY: mi_collect takes no pointers and has no preconditions; under another global
    // allocator (the tests) mimalloc's own heaps are empty and it does nothing.
    unsafe { libmimalloc_sys::mi_collect(true) }
    // SAFETY: malloc_trim takes no pointers; it only returns free memory of glibc's arenas.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0);
    }
}
