#[guillotine::test(flavor = "multi_thread", timeout = "5s", flavor = "current_thread")]
async fn twice() {}

fn main() {}
