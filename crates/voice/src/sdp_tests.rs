use super::*;

const BOTH: &[Law] = &[Law::Ulaw, Law::Alaw];

fn offer() -> Offer {
    Offer {
        address: "127.0.0.1".parse().expect("ip"),
        port: 40000,
        codecs: vec![Law::Ulaw, Law::Alaw],
        telephone_event: true,
        session_id: 42,
    }
}

#[test]
fn the_offer_has_both_laws_and_telephone_event() {
    let sdp = offer().to_sdp();
    assert!(sdp.contains("m=audio 40000 RTP/AVP 0 8 101\r\n"), "{sdp}");
    assert!(sdp.contains("c=IN IP4 127.0.0.1\r\n"));
    assert!(sdp.contains("a=rtpmap:0 PCMU/8000\r\n"));
    assert!(sdp.contains("a=rtpmap:8 PCMA/8000\r\n"));
    assert!(sdp.contains("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"));
    assert!(sdp.ends_with("a=sendrecv\r\n"));
    // The offer is itself a valid answer to parse (the same reader reads both).
    let back = parse_answer(sdp.as_bytes(), BOTH).expect("parses");
    assert_eq!(back.codec, Law::Ulaw);
    assert_eq!(back.dtmf_payload_type, Some(101));
    assert_eq!(back.remote, "127.0.0.1:40000".parse().expect("addr"));
}

#[test]
fn an_offer_without_telephone_event_or_over_ipv6() {
    let mut o = offer();
    o.telephone_event = false;
    o.codecs = vec![Law::Alaw];
    o.address = "::1".parse().expect("ip");
    let sdp = o.to_sdp();
    assert!(sdp.contains("m=audio 40000 RTP/AVP 8\r\n"), "{sdp}");
    assert!(sdp.contains("c=IN IP6 ::1\r\n"));
    assert!(!sdp.contains("telephone-event"));
}

#[test]
fn baresip_answer() {
    // What baresip 1.0 answered to an offer of 0 8 101 (captured on this machine).
    let sdp = "v=0\r\no=- 1234 5678 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
               a=tool:baresip 1.0.0\r\nm=audio 20494 RTP/AVP 0 8 101\r\nb=AS:80\r\n\
               a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
               a=fmtp:101 0-15\r\na=sendrecv\r\na=label:1\r\na=ssrc:1 cname:x\r\na=rtcp-rsize\r\n";
    let a = parse_answer(sdp.as_bytes(), BOTH).expect("parses");
    assert_eq!(a.remote, "127.0.0.1:20494".parse().expect("addr"));
    assert_eq!((a.codec, a.codec_payload_type), (Law::Ulaw, 0));
    assert_eq!(a.dtmf_payload_type, Some(101));
}

#[test]
fn pcma_only_with_a_dynamic_event_type_and_media_level_address() {
    let sdp = "v=0\no=x 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\n\
               m=audio 5004/2 RTP/AVP 8 96\nc=IN IP4 192.0.2.7/127\n\
               a=rtpmap:96 TELEPHONE-EVENT/8000\n";
    let a = parse_answer(sdp.as_bytes(), BOTH).expect("parses");
    assert_eq!(a.remote, "192.0.2.7:5004".parse().expect("addr"));
    assert_eq!((a.codec, a.codec_payload_type), (Law::Alaw, 8));
    assert_eq!(a.dtmf_payload_type, Some(96));
}

#[test]
fn the_first_active_audio_stream_counts() {
    let sdp = "v=0\r\nc=IN IP4 192.0.2.1\r\nm=video 6000 RTP/AVP 96\r\nc=IN IP4 198.51.100.1\r\n\
               a=rtpmap:96 H264/90000\r\nm=audio 0 RTP/AVP 0\r\nm=audio 7000 RTP/AVP 0\r\n\
               m=audio 8000 RTP/AVP 8\r\n";
    let a = parse_answer(sdp.as_bytes(), BOTH).expect("parses");
    assert_eq!(a.remote, "192.0.2.1:7000".parse().expect("addr"));
    assert_eq!(a.codec, Law::Ulaw);
    assert_eq!(a.dtmf_payload_type, None);
}

#[test]
fn an_unoffered_law_or_another_rate_is_not_chosen() {
    let sdp =
        "c=IN IP4 192.0.2.1\r\nm=audio 7000 RTP/AVP 0 97\r\na=rtpmap:97 telephone-event/48000\r\n";
    assert_eq!(
        parse_answer(sdp.as_bytes(), &[Law::Alaw]),
        Err(SdpError::NoCommonCodec)
    );
    let a = parse_answer(sdp.as_bytes(), &[Law::Ulaw]).expect("parses");
    assert_eq!(a.dtmf_payload_type, None);
}

#[test]
fn refusals_say_why() {
    assert_eq!(parse_answer(b"v=0\r\n", BOTH), Err(SdpError::NoAudio));
    assert_eq!(
        parse_answer(b"m=audio 0 RTP/AVP 0\r\n", BOTH),
        Err(SdpError::NoAudio)
    );
    assert_eq!(
        parse_answer(b"m=audio 9 RTP/SAVP 0\r\nc=IN IP4 1.2.3.4\r\n", BOTH),
        Err(SdpError::NoAudio)
    );
    assert_eq!(
        parse_answer(b"m=audio 7000 RTP/AVP 0\r\n", BOTH),
        Err(SdpError::NoConnection)
    );
    assert_eq!(
        parse_answer(b"c=IN IP4 pbx.example\r\nm=audio 7000 RTP/AVP 0\r\n", BOTH),
        Err(SdpError::BadAddress("pbx.example".into()))
    );
    assert!(matches!(
        parse_answer(b"m=audio x RTP/AVP 0\r\n", BOTH),
        Err(SdpError::BadMedia(_))
    ));
    assert!(matches!(
        parse_answer(b"m=audio\r\n", BOTH),
        Err(SdpError::BadMedia(_))
    ));
    assert_eq!(parse_answer(&[0xFF, 0xFE], BOTH), Err(SdpError::NotText));
    let big = vec![b'a'; MAX_SDP_LEN + 1];
    assert_eq!(
        parse_answer(&big, BOTH),
        Err(SdpError::TooLong(MAX_SDP_LEN + 1))
    );
    assert_eq!(
        parse_answer(b"c=IN IP4\r\nm=audio 1 RTP/AVP 0\r\n", BOTH),
        Err(SdpError::NoConnection)
    );
}
