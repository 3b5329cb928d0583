//! The wasm build's memory allocator.

/// A free-list allocator 3 KB gzip smaller than the default dlmalloc; the widget makes few,
/// small allocations, so its O(free-list) cost does not show.
#[global_allocator]
// SAFETY: wasm32-unknown-unknown without the atomics feature runs one thread only.
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
