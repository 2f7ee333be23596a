use super::*;

#[test]
fn parses_a_request_event() {
    let mut p = SseParser::default();
    let events = p.push(b"event: request\ndata: {\"id\":\"txn_1\"}\n\n");
    assert_eq!(
        events,
        vec![SseEvent {
            event: "request".into(),
            data: "{\"id\":\"txn_1\"}".into(),
            id: None
        }]
    );
}

#[test]
fn comments_are_keep_alives() {
    let mut p = SseParser::default();
    assert!(p.push(b": keep-alive\n\n").is_empty());
    assert!(p.push(b":\n\n").is_empty());
}

#[test]
fn lines_split_across_chunks_and_crlf() {
    let mut p = SseParser::default();
    assert!(p.push(b"event: req").is_empty());
    assert!(p.push(b"uest\r\ndata: {\"a\"").is_empty());
    assert!(p.push(b":1}\r\n").is_empty());
    let events = p.push(b"\r\n");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, "request");
    assert_eq!(events[0].data, "{\"a\":1}");
}

#[test]
fn multi_line_data_and_default_name() {
    let mut p = SseParser::default();
    let events = p.push(b"id: 7\ndata: one\ndata:two\ndata\n\ndata: x\n\n");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].event, "message");
    assert_eq!(events[0].data, "one\ntwo\n");
    assert_eq!(events[0].id.as_deref(), Some("7"));
    assert_eq!(events[1].data, "x");
    assert_eq!(events[1].id.as_deref(), Some("7"), "the last id is kept");
}

#[test]
fn an_event_name_without_data_is_not_dispatched() {
    let mut p = SseParser::default();
    assert!(p.push(b"event: request\n\n").is_empty());
    let events = p.push(b"data: y\n\n");
    assert_eq!(events[0].event, "message", "the name was reset");
}
