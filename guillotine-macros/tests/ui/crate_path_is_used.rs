// `crate = ..` is where the expansion looks for guillotine.
#[guillotine::main(crate = "nowhere::guillotine")]
async fn main() {}
