#[guillotine::test(timeout = "0ms")]
async fn instant() {}

fn main() {}
