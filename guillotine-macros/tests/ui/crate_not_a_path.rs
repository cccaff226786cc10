#[guillotine::main(crate = "my crate")]
async fn main() {}
