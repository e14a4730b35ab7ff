// mimalloc: glibc's allocator spent a quarter of an export's CPU time in malloc and free, and
// fragmented across the runtime's threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ordo::cli::main()
}
