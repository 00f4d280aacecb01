// The HTTP/2 session (nghttp2 plus the engine's request building, response framing, flow control and flood
// guard) on client bytes after the preface, cut at the points the input's first bytes choose. A handler answers
// every request (a third at once, the rest through commands once their body is in), with a body on odd streams,
// pausing every third body piece and resuming it after the next read. Invariants beyond "no crash,
// no leak, no UB": a stream is dispatched once, on_abort comes at most once and only for a dispatched stream, no
// body arrives for a stream not dispatched or after its on_abort, and the output starts with the server's SETTINGS.
#include "core/inbox.hpp"
#include "core/output_queue.hpp"
#include "core/send_buffer_pool.hpp"
#include "core/stream.hpp"
#include "core/timer_wheel.hpp"
#include "http2/preface.hpp"
#include "http2/session.hpp"
#include "pieces.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace {

using engine::ExchangeId;

std::tuple<std::uint32_t, std::uint32_t, std::uint32_t> key(const ExchangeId &id) {
    return {id.reactor, id.slot, id.generation};
}

class Answering final : public engine::Handler {
  public:
    void on_request(engine::Exchange &exchange) override {
        const ExchangeId id = exchange.id();
        if (!live.insert(key(id)).second) fuzz::invariant_broken("a stream dispatched twice");
        // A third answer at once; the rest once their body has arrived (later, through commands).
        if (id.generation % 3 == 0) exchange.send(response(id));
        else if (!exchange.request().has_body()) to_answer.push_back(id);
    }
    engine::BodyFlow on_body(ExchangeId id, std::string_view, bool last) override {
        if (!live.contains(key(id))) fuzz::invariant_broken("a body for a stream not dispatched, or after on_abort");
        if (last) {
            to_answer.push_back(id);
            return engine::BodyFlow::proceed;
        }
        if (++bodies % 3 != 0) return engine::BodyFlow::proceed;
        to_resume.push_back(id);
        return engine::BodyFlow::pause;
    }
    void on_abort(ExchangeId id) override {
        if (!live.contains(key(id))) fuzz::invariant_broken("on_abort for a stream not live");
        live.erase(key(id));
    }
    static engine::ResponsePart response(const ExchangeId &id) {
        return engine::make_response(200, "X-Test: yes\r\n", std::string(id.generation % 2 ? 20000 : 0, 'b'));
    }

    std::set<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>> live;
    std::vector<ExchangeId> to_answer, to_resume;
    unsigned bodies = 0;
};

/// Delivers the handler's answers and resumes as the reactor delivers posted commands.
void deliver_commands(Answering &handler, engine::http2::Session &session) {
    std::vector<ExchangeId> resume = std::move(handler.to_resume), answer = std::move(handler.to_answer);
    handler.to_resume.clear();
    handler.to_answer.clear();
    for (const ExchangeId &id : resume) {
        engine::core::Command command;
        command.kind = engine::core::Command::Kind::resume_body;
        command.id = id;
        if (session.matches(id)) session.on_command(command);
    }
    for (const ExchangeId &id : answer) {
        engine::core::Command command;
        command.kind = engine::core::Command::Kind::response_part;
        command.id = id;
        command.part = Answering::response(id);
        if (session.matches(id)) session.on_command(command);
        else engine::core::release_command(command);
    }
}

class FuzzHost final : public engine::core::StreamHost {
  public:
    explicit FuzzHost(engine::Handler &handler) : handler_(handler), timers_(100, 64, 0) {
        config_.http2.max_concurrent_streams = 16;
        config_.limits.max_header_bytes = 2048;
        config_.limits.max_body_bytes = 100000;
        pool_.init(nullptr, 8, 16 * 1024);
    }
    const engine::ServerConfig &config() const noexcept override { return config_; }
    engine::Handler &handler() noexcept override { return handler_; }
    std::uint32_t index() const noexcept override { return 0; }
    engine::core::SendBufferPool &send_buffers() noexcept override { return pool_; }
    engine::core::TimerWheel &timers() noexcept override { return timers_; }
    std::uint64_t now_ms() const noexcept override { return now; }
    bool draining() const noexcept override { return false; }
    std::uint32_t next_exchange_generation() noexcept override { return ++generation_; }
    void count_request() noexcept override {}
    void count_http2_connection() noexcept override {}
    void count_http2_stream() noexcept override {}
    void want_send(engine::core::Stream &) override {}
    void stop_reading(engine::core::Stream &) override {}
    void start_reading(engine::core::Stream &) override {}
    void teardown(engine::core::Stream &) override {}
    void defer_sent_notification(ExchangeId) override {}

    std::uint64_t now = 1000;

  private:
    engine::ServerConfig config_;
    engine::Handler &handler_;
    engine::core::SendBufferPool pool_;
    engine::core::TimerWheel timers_;
    std::uint32_t generation_ = 0;
};

std::string_view no_date(void *) noexcept { return "Thu, 01 Jan 2026 00:00:00 GMT"; }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char *>(data), size);
    const std::vector<std::size_t> cuts = fuzz::take_cuts(input);
    Answering handler;
    FuzzHost host(handler);
    engine::core::OutputQueue output(host.send_buffers());
    {
        engine::http2::Session session(host, output, 0, {}, no_date, nullptr);
        std::string wire;
        const auto drain = [&] {
            session.produce_output();
            iovec vectors[16];
            while (!output.empty()) {
                std::size_t total = 0;
                const std::size_t count = output.gather(vectors, 16, total);
                for (std::size_t i = 0; i < count; ++i)
                    wire.append(static_cast<const char *>(vectors[i].iov_base), vectors[i].iov_len);
                std::vector<ExchangeId> sent;
                output.consume(total, false, sent);
            }
        };
        session.receive(engine::http2::client_preface);
        bool alive = true;
        fuzz::for_each_piece(input, cuts, [&](std::string_view piece) {
            if (!alive) return;
            host.now += 7;
            alive = session.receive(piece);
            deliver_commands(handler, session);
            drain();
            if (session.finished()) alive = false;
        });
        drain();
        // The server's preface: a SETTINGS frame (type 4) on stream 0.
        if (wire.size() < 9 || wire[3] != 4) fuzz::invariant_broken("the output does not start with SETTINGS");
        session.abort_streams();  // on_abort for the rest, each checked above
    }
    return 0;
}
