#[guillotine::main(flavor)]
async fn main() {}
