package netipc

// splitMessage turns one logical message into pipe packets (section 3):
// one packet when it fits, else a full first chunk and continuations.
func splitMessage(h header, payload []byte, packetSize uint32) [][]byte {
	total := uint64(headerLen) + uint64(len(payload))
	if total <= uint64(packetSize) {
		pkt := make([]byte, total)
		h.encode(pkt)
		copy(pkt[headerLen:], payload)
		return [][]byte{pkt}
	}
	budget := int(packetSize) - headerLen
	first := budget
	if len(payload) < first {
		first = len(payload)
	}
	rest := len(payload) - first
	count := 1 + (rest+budget-1)/budget
	packets := make([][]byte, 0, count)
	pkt := make([]byte, headerLen+first)
	h.encode(pkt)
	copy(pkt[headerLen:], payload[:first])
	packets = append(packets, pkt)
	off := first
	for i := 1; off < len(payload); i++ {
		n := len(payload) - off
		if n > budget {
			n = budget
		}
		c := contHeader{magicNCHK, version1, 0, h.messageID, uint32(total), uint32(i), uint32(count), uint32(n)}
		pkt := make([]byte, headerLen+n)
		c.encode(pkt)
		copy(pkt[headerLen:], payload[off:off+n])
		packets = append(packets, pkt)
		off += n
	}
	return packets
}

// message is one reassembled logical message.
type message struct {
	h          header
	payload    []byte
	firstShort bool // WE-4 not followed by the sender (accepted)
}

// reassembler rebuilds logical messages from packets, checking every rule.
type reassembler struct {
	packetSize uint32
	lim        limits
	pending    *message
	nextIndex  uint32
	count      uint32
}

// midMessage tells whether a chunked message is partly received.
func (r *reassembler) midMessage() bool { return r.pending != nil }

// feed takes one packet; it returns a message when one is complete.
func (r *reassembler) feed(pkt []byte) (*message, error) {
	if uint64(len(pkt)) > uint64(r.packetSize) {
		return nil, broke("packet_over_size", "packet length (at most agreed_packet_size): expected %d, got %d", r.packetSize, len(pkt))
	}
	if r.pending != nil {
		return r.feedContinuation(pkt)
	}
	h, err := decodeHeader(pkt)
	if err != nil {
		return nil, err
	}
	if h.magic == magicNCHK {
		return nil, broke("continuation_without_first", "magic: expected an outer header first, got a continuation header with no message in progress")
	}
	if err := checkHeader(&h, &r.lim); err != nil {
		return nil, err
	}
	total := uint64(headerLen) + uint64(h.payloadLen)
	body := pkt[headerLen:]
	if total <= uint64(r.packetSize) {
		if uint64(len(pkt)) != total {
			return nil, broke("message_length_mismatch", "message length (32 + payload_len): expected %d, got %d", total, len(pkt))
		}
		return complete(&message{h: h, payload: append([]byte(nil), body...)})
	}
	budget := uint64(r.packetSize) - headerLen
	m := &message{h: h, payload: make([]byte, 0, h.payloadLen)}
	m.payload = append(m.payload, body...)
	m.firstShort = uint64(len(body)) < budget
	r.pending = m
	r.nextIndex = 1
	r.count = uint32(1 + (uint64(h.payloadLen)-uint64(len(body))+budget-1)/budget)
	return nil, nil
}

func (r *reassembler) feedContinuation(pkt []byte) (*message, error) {
	c, err := decodeCont(pkt)
	if err != nil {
		return nil, err
	}
	m := r.pending
	total := uint64(headerLen) + uint64(m.h.payloadLen)
	budget := uint64(r.packetSize) - headerLen
	remaining := uint64(m.h.payloadLen) - uint64(len(m.payload))
	carried := uint64(len(pkt)) - headerLen
	switch {
	case c.magic == magicNIPC:
		return nil, broke("chunk_interleaved", "magic: expected a continuation of message_id %d, got a new outer header", m.h.messageID)
	case c.magic != magicNCHK:
		return nil, broke("bad_chunk_magic", "continuation magic: expected 0x%08x, got 0x%08x", magicNCHK, c.magic)
	case c.version != version1:
		return nil, broke("bad_chunk_version", "continuation version: expected 1, got %d", c.version)
	case c.flags != 0:
		return nil, broke("bad_chunk_flags", "continuation flags: expected 0, got %d", c.flags)
	case c.messageID != m.h.messageID:
		return nil, broke("chunk_message_id_mismatch", "message_id: expected %d, got %d", m.h.messageID, c.messageID)
	case uint64(c.totalLen) != total:
		return nil, broke("chunk_total_len_mismatch", "total_message_len: expected %d, got %d", total, c.totalLen)
	case c.count != r.count:
		return nil, broke("chunk_count_mismatch", "chunk_count: expected %d, got %d", r.count, c.count)
	case c.index != r.nextIndex:
		return nil, broke("chunk_index_out_of_order", "chunk_index: expected %d, got %d", r.nextIndex, c.index)
	case c.length == 0:
		return nil, broke("chunk_payload_empty", "chunk_payload_len: expected > 0, got 0")
	case uint64(c.length) != carried:
		return nil, broke("chunk_payload_len_mismatch", "chunk_payload_len (bytes after the header): expected %d, got %d", carried, c.length)
	case uint64(c.length) > budget:
		return nil, broke("chunk_payload_over_budget", "chunk_payload_len: expected <= %d, got %d", budget, c.length)
	case uint64(c.length) > remaining:
		return nil, broke("chunk_payload_over_remaining", "chunk_payload_len: expected <= %d (bytes remaining), got %d", remaining, c.length)
	}
	m.payload = append(m.payload, pkt[headerLen:]...)
	r.nextIndex++
	if c.index+1 < r.count {
		return nil, nil
	}
	r.pending = nil
	if uint64(len(m.payload)) != uint64(m.h.payloadLen) {
		return nil, broke("chunk_payload_len_mismatch", "last chunk %d: payload bytes received: expected %d, got %d", c.index, m.h.payloadLen, len(m.payload))
	}
	return complete(m)
}

func complete(m *message) (*message, error) {
	if m.h.flags&flagBatch != 0 {
		if err := checkBatch(m.payload, m.h.itemCount); err != nil {
			return nil, err
		}
	}
	return m, nil
}
