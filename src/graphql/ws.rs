//! `GET /graphql/ws`: subscriptions (and queries) over WebSocket, graphql-transport-ws protocol.
//! The API key goes in `connection_init`: `{"authorization": "Bearer pb_…"}` (or `x-api-key`).

use async_graphql::{Data, ErrorExtensions, http::ALL_WEBSOCKET_PROTOCOLS};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    extract::{State, WebSocketUpgrade},
    http::HeaderMap,
    response::Response,
};

use crate::{auth, server::ServerState};

/// Upgrades to a GraphQL WebSocket session authenticated in `connection_init`.
pub async fn graphql_ws(
    State(server): State<ServerState>,
    protocol: GraphQLProtocol,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    // Clients that can set headers on the upgrade may authenticate there instead.
    let header_token = auth::token_from_headers(&headers).map(str::to_owned);
    let schema = server.schema.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            GraphQLWebSocket::new(stream, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let token = token_from_payload(&payload).or(header_token);
                    let (principal, _) = super::admit(&server, token.as_deref())
                        .await
                        .map_err(|error| error.extend())?;
                    let mut data = Data::default();
                    data.insert(principal);
                    Ok(data)
                })
                .serve()
        })
}

/// The key in a `connection_init` payload, under `authorization` (any case) or `x-api-key`.
fn token_from_payload(payload: &serde_json::Value) -> Option<String> {
    let object = payload.as_object()?;
    object.iter().find_map(|(name, value)| {
        let value = value.as_str()?;
        if name.eq_ignore_ascii_case("authorization") {
            auth::bearer(value).map(str::to_owned)
        } else if name.eq_ignore_ascii_case("x-api-key") {
            Some(value.trim().to_owned())
        } else {
            None
        }
    })
}
