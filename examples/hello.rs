//! The seed's first example: run a future to completion on a runtime.

fn main() {
    let future = async {
        println!("In a future!");
        42
    };

    let runtime = guillotine::runtime::Runtime::new().unwrap();

    let _forty_two = runtime.block_on(future);
}
