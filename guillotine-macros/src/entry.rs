//! The expansion shared by both attributes: the `async fn` becomes a plain
//! `fn` whose body hands a closure making the original body's future to
//! `guillotine::__private`, which builds the runtime and runs it.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, LitStr, Meta, ReturnType, Signature, Type, Visibility, braced, token};

use crate::args::{self, Config, Flavor, Kind};

/// An `fn` item, its body kept as tokens: nothing in it needs parsing, and
/// its statements keep their spans for the compiler's errors.
struct Function {
    /// Outer attributes, then the body's inner attributes (made outer: the
    /// body becomes an `async` block, where they are not allowed).
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    brace: token::Brace,
    body: TokenStream,
}

impl Parse for Function {
    fn parse(input: ParseStream<'_>) -> syn::Result<Function> {
        let mut attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let content;
        let brace = braced!(content in input);
        for mut attr in content.call(Attribute::parse_inner)? {
            attr.style = syn::AttrStyle::Outer;
            attrs.push(attr);
        }
        let body = content.parse()?;
        Ok(Function {
            attrs,
            vis,
            sig,
            brace,
            body,
        })
    }
}

/// Expands `#[guillotine::main(args)]` or `#[guillotine::test(args)]` on
/// `item`. On a misuse the error comes with the best expansion there is
/// (the defaults in place of bad keys), so that one mistake is reported
/// once rather than followed by the compiler's errors about what is left.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let function: Function = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(e) => {
            let mut tokens = e.into_compile_error();
            tokens.extend(item);
            return tokens;
        }
    };
    let (config, mut error) = match args::parse(kind, args) {
        Ok(config) => (config, None),
        Err(e) => (Config::default_for(kind), Some(e)),
    };
    let mut takes_arguments = false;
    let mut push = |e: syn::Error| match &mut error {
        Some(first) => first.combine(e),
        None => error = Some(e),
    };
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        push(syn::Error::new_spanned(
            sig.fn_token,
            format!(
                "{} needs an `async fn`: add `async` before `fn`",
                kind.attribute()
            ),
        ));
    }
    if !sig.inputs.is_empty() {
        takes_arguments = true;
        push(syn::Error::new_spanned(
            &sig.inputs,
            format!("a {} function cannot take arguments", kind.attribute()),
        ));
    }
    if kind == Kind::Test
        && let Some(attr) = function.attrs.iter().find(|a| is_test_attribute(a))
    {
        push(syn::Error::new_spanned(
            attr,
            "#[guillotine::test] adds `#[test]` itself: remove this one",
        ));
    }
    let mut tokens = generate(kind, &config, function, takes_arguments);
    if let Some(error) = error {
        tokens.extend(error.into_compile_error());
    }
    tokens
}

/// `#[test]`, `#[core::prelude::v1::test]`, `#[::std::prelude::rust_2024::test]`, ...
fn is_test_attribute(attr: &Attribute) -> bool {
    let Meta::Path(path) = &attr.meta else {
        return false;
    };
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segments.as_slice() {
        [test] => test == "test" && path.leading_colon.is_none(),
        [root, prelude, _, test] => {
            (root == "core" || root == "std") && prelude == "prelude" && test == "test"
        }
        _ => false,
    }
}

fn generate(kind: Kind, config: &Config, function: Function, takes_arguments: bool) -> TokenStream {
    let Function {
        attrs,
        vis,
        mut sig,
        brace,
        body,
    } = function;
    let krate = match &config.krate {
        Some(path) => path.to_token_stream(),
        None => quote!(::guillotine),
    };
    let support = quote!(#krate::__private);
    let settings = match (config.flavor, config.worker_threads) {
        (Flavor::CurrentThread, _) => quote!(#support::Settings::current_thread()),
        (Flavor::MultiThread, None) => {
            quote!(#support::Settings::multi_thread(::core::option::Option::None))
        }
        (Flavor::MultiThread, Some(n)) => {
            quote!(#support::Settings::multi_thread(::core::option::Option::Some(#n)))
        }
    };
    let settings = match config.start_paused {
        Some(on) => quote!(#settings.start_paused::<()>(#on)),
        None => settings,
    };
    let settings = match config.auto_advance {
        Some(on) => quote!(#settings.auto_advance::<()>(#on)),
        None => settings,
    };
    // The function's return type when it can be named (not `impl Trait`):
    // the body's type is checked against it where the body is, and `?` in
    // the body knows what to convert errors into.
    let output = match &sig.output {
        ReturnType::Default => Some(quote!(())),
        // `!` cannot be a type argument on stable Rust.
        ReturnType::Type(_, ty) if matches!(**ty, Type::Never(_)) => None,
        ReturnType::Type(_, ty) if !mentions_impl_trait(ty.to_token_stream()) => {
            Some(ty.to_token_stream())
        }
        ReturnType::Type(..) => None,
    };
    let returns_unit = match &sig.output {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => matches!(&**ty, Type::Tuple(t) if t.elems.is_empty()),
    };
    let output_param = output.unwrap_or_else(|| quote!(_));
    // The `async` keyword keeps the user's span: errors about the future
    // (a borrow that outlives it, say) point at it.
    let async_token = match sig.asyncness.take() {
        Some(token) => quote!(#token),
        None => quote!(async),
    };
    let mut block = TokenStream::new();
    brace.surround(&mut block, |tokens| body.to_tokens(tokens));
    let make = quote!(|| #async_token #block);
    let body_span = brace.span.join();

    let call = if takes_arguments {
        // Reported already; the arguments would only add errors.
        sig.inputs.clear();
        quote!(::core::unreachable!())
    } else if let (Kind::Test, Some(timeout)) = (kind, &config.timeout) {
        let nanos = timeout.nanos;
        let written = &timeout.written;
        let function = LitStr::new(&sig.ident.unraw().to_string(), sig.ident.span());
        let call = quote_spanned! {body_span=>
            #support::block_on_with_timeout::<#output_param, _, _>(
                #settings,
                #support::Timeout {
                    module: ::core::module_path!(),
                    function: #function,
                    after: ::core::time::Duration::from_nanos(#nanos),
                    written: #written,
                },
                #make,
            )
        };
        if returns_unit {
            quote!(#call;)
        } else {
            // The result was reported on the body's thread (it need not be
            // `Send`); what comes back is its exit code.
            sig.output = syn::parse_quote!(-> ::std::process::ExitCode);
            call
        }
    } else {
        quote_spanned! {body_span=>
            #support::block_on::<#output_param, _, _>(#settings, #make)
        }
    };
    let test_attr = match kind {
        Kind::Test => quote!(#[::core::prelude::v1::test]),
        Kind::Main => quote!(),
    };
    quote! {
        #(#attrs)*
        #test_attr
        #vis #sig {
            #call
        }
    }
}

/// Whether `tokens` (a type) contain `impl Trait`, which cannot be named as
/// a type argument.
fn mentions_impl_trait(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) => i == "impl",
        proc_macro2::TokenTree::Group(g) => mentions_impl_trait(g.stream()),
        _ => false,
    })
}
