#[guillotine::main(flavour = "multi_thread")]
async fn main() {}
