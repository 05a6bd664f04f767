#include "netipc/win32/session.hpp"

#include <stdexcept>
#include <utility>

namespace netipc::win32 {

pipe_session::pipe_session(handle pipe, std::chrono::milliseconds wait)
    : pipe_(std::move(pipe)), wait_(wait) {}

done pipe_session::write_packet(byte_view packet) {
  io_outcome written = write_message(pipe_.get(), packet, deadline(), write_event_);
  if (!written.ok()) return io_failure(written, "WriteFile");
  return ok_done();
}

outcome<bytes> pipe_session::read_packet() {
  std::size_t length = 0;
  io_outcome read = read_message_into(pipe_.get(), read_buffer_, length, deadline(), read_event_);
  if (!read.ok()) return io_failure(read, "ReadFile");
  return bytes(read_buffer_.begin(), read_buffer_.begin() + static_cast<std::ptrdiff_t>(length));
}

void pipe_session::agree(std::uint32_t agreed_packet_size, limits receive_limits) {
  agreed_packet_size_ = agreed_packet_size;
  receive_limits.agreed_packet_size = agreed_packet_size;
  reassembler_.emplace(receive_limits);
}

done pipe_session::send_message(byte_view message) {
  if (message.size() <= agreed_packet_size_) return write_packet(message);
  for (const bytes& packet : plan_chunks(message, agreed_packet_size_)) {
    if (done sent = write_packet(packet); !sent) return sent;
  }
  return ok_done();
}

outcome<netipc::message> pipe_session::receive_message() {
  if (!reassembler_) throw std::logic_error("receive_message before the handshake agreed limits");
  for (;;) {
    std::size_t length = 0;
    io_outcome read = read_message_into(pipe_.get(), read_buffer_, length, deadline(), read_event_);
    if (!read.ok()) return io_failure(read, "ReadFile");
    auto fed = reassembler_->feed(byte_view(read_buffer_.data(), length));
    if (!fed) return rule_failure(fed.err());
    if (fed->has_value()) return std::move(**fed);
  }
}

}  // namespace netipc::win32
