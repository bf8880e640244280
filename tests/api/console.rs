//! The playground is served by Patchbay itself and works offline.

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_playground_is_served_at_the_root_without_a_key() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("graphiql"), "{html}");
    assert!(
        html.contains("api-key"),
        "the page lets the user paste a key"
    );
}

#[tokio::test]
async fn the_playground_references_no_external_url_and_every_asset_is_served() {
    let app = spawn_app().await;
    let html = app.get("/").await.text().await.unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"),
        "the page must not load anything from the internet:\n{html}"
    );
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|part| part.starts_with("/console/assets/"))
        .collect();
    assert!(
        assets.len() >= 4,
        "expected the GraphiQL, React and playground assets: {assets:?}"
    );
    for asset in assets {
        let response = app.get(asset).await;
        assert_eq!(response.status(), 200, "{asset}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let expected = if asset.ends_with(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        assert!(
            content_type.starts_with(expected),
            "{asset}: {content_type}"
        );
        let body = response.text().await.unwrap();
        assert!(!body.is_empty(), "{asset} is empty");
        if asset.ends_with(".css") {
            assert!(
                !body.contains("url(http"),
                "{asset} loads a remote resource"
            );
        }
    }
}

#[tokio::test]
async fn the_playground_keeps_the_key_in_local_storage_and_sends_it_as_a_bearer_token() {
    let app = spawn_app().await;
    let script = app
        .get("/console/assets/playground.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(script.contains("localStorage.setItem"));
    assert!(script.contains("'Bearer ' + apiKey()"));
    assert!(script.contains("graphql-transport-ws"));
}

#[tokio::test]
async fn unknown_assets_and_routes_are_404() {
    let app = spawn_app().await;
    assert_eq!(app.get("/console/assets/nope.js").await.status(), 404);
    assert_eq!(app.get("/nope").await.status(), 404);
}
