//! `Builder::name`, `Handle::name` and `Handle::id` (`runtime::Id`): seen
//! the same from the runtime's handle, its tasks, its blocking threads and
//! a worker's pinned tasks; unique per runtime. On both runtime flavors.

mod support;

use std::collections::HashSet;

use guillotine::runtime::{Builder, Handle, Id, Runtime};
use support::{Flavor, both_flavors};

both_flavors! {
    the_name_is_seen_everywhere_in_the_runtime,
    no_name_by_default,
    #[should_panic(expected = "runtime name shouldn't be empty")]
    an_empty_name_panics,
    #[should_panic(expected = "runtime name shouldn't be empty")]
    a_blank_name_panics,
    the_id_is_the_same_everywhere_in_the_runtime,
    ids_are_unique_and_behave_as_values,
}

fn the_name_is_seen_everywhere_in_the_runtime(mut builder: Builder) {
    let rt = builder
        .name("ingest")
        .thread_name("ingest-thread")
        .build()
        .unwrap();
    assert_eq!(rt.handle().name(), Some("ingest"));
    let (in_block_on, in_task, in_blocking, in_local) = rt.block_on(async {
        let in_block_on = Handle::current().name().map(str::to_owned);
        let in_task = guillotine::spawn(async { Handle::current().name().map(str::to_owned) })
            .await
            .unwrap();
        let in_blocking =
            guillotine::spawn_blocking(|| Handle::current().name().map(str::to_owned))
                .await
                .unwrap();
        // On a worker, `spawn_local` pins the task there (its own `Shared`).
        let in_local = guillotine::spawn(async {
            guillotine::task::spawn_local(async { Handle::current().name().map(str::to_owned) })
                .await
                .unwrap()
        })
        .await
        .unwrap();
        (in_block_on, in_task, in_blocking, in_local)
    });
    for name in [in_block_on, in_task, in_blocking, in_local] {
        assert_eq!(name.as_deref(), Some("ingest"));
    }
    // The name names the runtime, not its threads.
    let thread =
        rt.block_on(rt.spawn_blocking(|| std::thread::current().name().map(str::to_owned)));
    assert_eq!(thread.unwrap().as_deref(), Some("ingest-thread"));
    // A builder builds runtimes with the same name and different ids.
    let twin = builder.build().unwrap();
    assert_eq!(twin.handle().name(), Some("ingest"));
    assert_ne!(twin.handle().id(), rt.handle().id());
    let debug = format!("{:?}", rt.handle());
    assert!(debug.contains("ingest") && debug.contains(&rt.handle().id().to_string()));
    assert!(format!("{rt:?}").contains("ingest"));
}

fn no_name_by_default(rt: Runtime) {
    assert_eq!(rt.handle().name(), None);
    assert!(rt.block_on(async { Handle::current().name().is_none() }));
}

fn an_empty_name_panics(mut builder: Builder) {
    builder.name("");
}

fn a_blank_name_panics(mut builder: Builder) {
    builder.name(" \t");
}

fn the_id_is_the_same_everywhere_in_the_runtime(flavor: Flavor) {
    let rt = flavor.rt();
    let id = rt.handle().id();
    assert_eq!(rt.handle().clone().id(), id);
    let seen = rt.block_on(async {
        let in_block_on = Handle::current().id();
        let in_task = guillotine::spawn(async { Handle::current().id() })
            .await
            .unwrap();
        let in_blocking = guillotine::spawn_blocking(|| Handle::current().id())
            .await
            .unwrap();
        let in_local = guillotine::spawn(async {
            guillotine::task::spawn_local(async { Handle::current().id() })
                .await
                .unwrap()
        })
        .await
        .unwrap();
        [in_block_on, in_task, in_blocking, in_local]
    });
    assert_eq!(seen, [id; 4]);
    // Through `enter` on another thread.
    let handle = rt.handle();
    let from_thread = std::thread::spawn(move || {
        let _guard = handle.enter();
        Handle::current().id()
    })
    .join()
    .unwrap();
    assert_eq!(from_thread, id);
}

fn ids_are_unique_and_behave_as_values(flavor: Flavor) {
    let runtimes: Vec<Runtime> = (0..20).map(|_| flavor.rt()).collect();
    let ids: HashSet<Id> = runtimes.iter().map(|rt| rt.handle().id()).collect();
    assert_eq!(ids.len(), runtimes.len(), "every runtime has its own id");
    let id = runtimes[0].handle().id();
    let copy = id;
    assert_eq!(copy, id);
    let n: u64 = id.to_string().parse().expect("Display is the number");
    assert!(n > 0);
    assert_eq!(format!("{id:?}"), format!("Id({n})"));
    // Never reused: a runtime built after these are dropped has a new id.
    drop(runtimes);
    let later = flavor.rt().handle().id();
    assert!(!ids.contains(&later));
}
