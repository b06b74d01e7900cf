#include "loadgen/server_metrics/metrics_scraper.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace asyncgrpc::loadgen {
namespace {

namespace pb = ::loadgen::v1;

// Far above any real exposition (a few hundred KiB at most).
constexpr size_t kMostBytes = 32 << 20;

absl::Status Invalid(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("bad HTTP response: ", why));
}

// Closes the descriptor on every path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

int PollMs(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return 0;
  }
  return static_cast<int>(std::max<int64_t>(
      1, absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1)))));
}

// Waits for `events` on `fd` until `deadline`: OK, DEADLINE_EXCEEDED or the
// poll error.
absl::Status WaitFor(int fd, short events, absl::Time deadline,
                     absl::string_view what) {
  while (true) {
    pollfd p{.fd = fd, .events = events, .revents = 0};
    const int timeout = PollMs(deadline);
    if (timeout == 0) {
      return absl::DeadlineExceededError(absl::StrCat("timed out ", what));
    }
    const int n = poll(&p, 1, timeout);
    if (n > 0) {
      return absl::OkStatus();
    }
    if (n < 0 && errno != EINTR) {
      return absl::UnavailableError(
          absl::StrCat("poll failed ", what, ": ", std::strerror(errno)));
    }
  }
}

// Connects a non-blocking socket to one of `host`'s addresses.
absl::StatusOr<int> Connect(const std::string& host, int port,
                            absl::Time deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  const std::string service = absl::StrCat(port);
  if (const int rc =
          getaddrinfo(host.c_str(), service.c_str(), &hints, &addresses);
      rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot resolve ", host, ": ", gai_strerror(rc)));
  }
  absl::Status last =
      absl::UnavailableError(absl::StrCat("no address for ", host));
  for (addrinfo* a = addresses; a != nullptr; a = a->ai_next) {
    const int fd =
        socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
               a->ai_protocol);
    if (fd < 0) {
      last = absl::UnavailableError(
          absl::StrCat("socket: ", std::strerror(errno)));
      continue;
    }
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      freeaddrinfo(addresses);
      return fd;
    }
    if (errno == EINPROGRESS) {
      absl::Status waited = WaitFor(fd, POLLOUT, deadline, "connecting");
      int error = 0;
      socklen_t length = sizeof(error);
      if (waited.ok() &&
          getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 &&
          error == 0) {
        freeaddrinfo(addresses);
        return fd;
      }
      last = waited.ok() ? absl::UnavailableError(
                               absl::StrCat("connect: ", std::strerror(error)))
                         : waited;
    } else {
      last = absl::UnavailableError(
          absl::StrCat("connect: ", std::strerror(errno)));
    }
    close(fd);
    if (absl::IsDeadlineExceeded(last)) {
      break;
    }
  }
  freeaddrinfo(addresses);
  return last;
}

// Decodes a chunked body from `data`: nullopt until the last chunk and the
// trailers' end have arrived.
absl::StatusOr<std::optional<std::string>> Dechunk(absl::string_view data) {
  std::string body;
  size_t i = 0;
  while (true) {
    const size_t eol = data.find('\n', i);
    if (eol == absl::string_view::npos) {
      return std::nullopt;
    }
    absl::string_view size_line = data.substr(i, eol - i);
    absl::ConsumeSuffix(&size_line, "\r");
    size_line = size_line.substr(0, size_line.find(';'));
    size_line = absl::StripAsciiWhitespace(size_line);
    uint64_t size = 0;
    if (size_line.empty() || size_line.size() > 15 ||
        !absl::SimpleHexAtoi(size_line, &size)) {
      return Invalid(absl::StrCat("bad chunk size \"", size_line, "\""));
    }
    i = eol + 1;
    if (size == 0) {
      // Trailers, up to an empty line.
      while (true) {
        const size_t end = data.find('\n', i);
        if (end == absl::string_view::npos) {
          return std::nullopt;
        }
        absl::string_view line = data.substr(i, end - i);
        absl::ConsumeSuffix(&line, "\r");
        i = end + 1;
        if (line.empty()) {
          return body;
        }
      }
    }
    if (data.size() < i + size) {
      return std::nullopt;
    }
    const absl::string_view chunk = data.substr(i, size);
    body.append(chunk.data(), chunk.size());
    if (body.size() > kMostBytes) {
      return Invalid("body too large");
    }
    i += size;
    // The CRLF after the chunk's data.
    if (data.size() < i + 1) {
      return std::nullopt;
    }
    if (data[i] == '\r') {
      if (data.size() < i + 2) {
        return std::nullopt;
      }
      ++i;
    }
    if (data[i] != '\n') {
      return Invalid("chunk data not followed by a line end");
    }
    ++i;
  }
}

std::string Now8601Ms(absl::Time t) {
  return absl::FormatTime("%H:%M:%E3S", t, absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<std::optional<HttpResponse>> ParseHttpResponse(
    absl::string_view raw, bool eof) {
  // The header block ends with an empty line (CRLF or bare LF).
  size_t header_end = raw.find("\r\n\r\n");
  size_t body_start =
      header_end == absl::string_view::npos ? 0 : header_end + 4;
  if (const size_t lf = raw.find("\n\n");
      lf != absl::string_view::npos &&
      (header_end == absl::string_view::npos || lf < header_end)) {
    header_end = lf;
    body_start = lf + 2;
  }
  if (header_end == absl::string_view::npos) {
    if (!absl::StartsWith(raw, "HTTP/") && raw.size() >= 5) {
      return Invalid("not HTTP");
    }
    if (eof) {
      return Invalid(raw.empty() ? "the server closed without answering"
                                 : "the headers never ended");
    }
    if (raw.size() > 64 * 1024) {
      return Invalid("headers too large");
    }
    return std::nullopt;
  }
  HttpResponse response;
  std::vector<absl::string_view> lines =
      absl::StrSplit(raw.substr(0, header_end), '\n');
  absl::string_view status_line = absl::StripTrailingAsciiWhitespace(lines[0]);
  const std::vector<absl::string_view> status_parts =
      absl::StrSplit(status_line, absl::MaxSplits(' ', 2));
  if (status_parts.size() < 2 ||
      !absl::StartsWith(status_parts[0], "HTTP/1.") ||
      !absl::SimpleAtoi(status_parts[1], &response.status) ||
      response.status < 100 || response.status > 999) {
    return Invalid(
        absl::StrCat("status line \"", status_line.substr(0, 80), "\""));
  }
  std::optional<size_t> length;
  bool chunked = false;
  for (size_t n = 1; n < lines.size(); ++n) {
    absl::string_view line = absl::StripTrailingAsciiWhitespace(lines[n]);
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      continue;
    }
    const std::string name = absl::AsciiStrToLower(
        absl::StripAsciiWhitespace(line.substr(0, colon)));
    const absl::string_view value =
        absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (name == "content-length") {
      size_t parsed = 0;
      if (!absl::SimpleAtoi(value, &parsed) || parsed > kMostBytes) {
        return Invalid(absl::StrCat("Content-Length \"", value, "\""));
      }
      length = parsed;
    } else if (name == "transfer-encoding") {
      chunked = absl::StrContains(absl::AsciiStrToLower(value), "chunked");
    } else if (name == "content-encoding") {
      if (!absl::EqualsIgnoreCase(value, "identity")) {
        return Invalid(
            absl::StrCat("Content-Encoding ", value, " (asked for identity)"));
      }
    } else if (name == "content-type") {
      response.content_type = std::string(value);
    }
  }
  const absl::string_view body = raw.substr(body_start);
  if (chunked) {
    absl::StatusOr<std::optional<std::string>> decoded = Dechunk(body);
    if (!decoded.ok()) {
      return decoded.status();
    }
    if (!decoded->has_value()) {
      if (eof) {
        return Invalid("the chunked body was cut short");
      }
      return std::nullopt;
    }
    response.body = std::move(**decoded);
    return response;
  }
  if (length.has_value()) {
    if (body.size() < *length) {
      if (eof) {
        return Invalid(absl::StrCat("the body was cut short: ", body.size(),
                                    " of ", *length, " bytes"));
      }
      return std::nullopt;
    }
    response.body = std::string(body.substr(0, *length));
    return response;
  }
  if (!eof) {
    return std::nullopt;
  }
  response.body = std::string(body);
  return response;
}

absl::StatusOr<HttpResponse> HttpGet(const std::string& host, int port,
                                     const std::string& path,
                                     absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::StatusOr<int> connected = Connect(host, port, deadline);
  if (!connected.ok()) {
    return connected.status();
  }
  Fd fd(*connected);
  const bool v6 = absl::StrContains(host, ':');
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", v6 ? "[" : "", host,
                   v6 ? "]" : "", ":", port,
                   "\r\nUser-Agent: asyncgrpc-loadgen\r\n"
                   "Accept: text/plain;version=0.0.4;q=1,*/*;q=0.1\r\n"
                   "Accept-Encoding: identity\r\nConnection: close\r\n\r\n");
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(fd.get(), request.data() + sent,
                           request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (absl::Status s = WaitFor(fd.get(), POLLOUT, deadline, "sending");
          !s.ok()) {
        return s;
      }
    } else {
      return absl::UnavailableError(
          absl::StrCat("send: ", std::strerror(errno)));
    }
  }
  std::string raw;
  char buffer[16384];
  while (true) {
    if (absl::Status s =
            WaitFor(fd.get(), POLLIN, deadline, "waiting for the answer");
        !s.ok()) {
      return s;
    }
    const ssize_t n = recv(fd.get(), buffer, sizeof(buffer), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        continue;
      }
      return absl::UnavailableError(
          absl::StrCat("recv: ", std::strerror(errno)));
    }
    raw.append(buffer, static_cast<size_t>(n));
    if (raw.size() > kMostBytes + 64 * 1024) {
      return Invalid("response too large");
    }
    absl::StatusOr<std::optional<HttpResponse>> parsed =
        ParseHttpResponse(raw, /*eof=*/n == 0);
    if (!parsed.ok()) {
      return parsed.status();
    }
    if (parsed->has_value()) {
      return std::move(**parsed);
    }
  }
}

absl::StatusOr<std::string> ScrapeText(const MetricsUrl& url,
                                       absl::Duration timeout) {
  absl::StatusOr<HttpResponse> response =
      HttpGet(url.host, url.port, url.path, timeout);
  if (!response.ok()) {
    return response.status();
  }
  if (response->status != 200) {
    return absl::UnavailableError(
        absl::StrCat("HTTP status ", response->status));
  }
  return std::move(response->body);
}

ServerMetricsRecorder::ServerMetricsRecorder(std::vector<MetricsUrl> urls,
                                             absl::Duration timeout)
    : urls_(std::move(urls)), timeout_(timeout) {}

std::vector<std::future<ServerMetricsRecorder::Scrape>>
ServerMetricsRecorder::StartAll() {
  std::vector<std::future<Scrape>> scrapes;
  for (const MetricsUrl& url : urls_) {
    scrapes.push_back(std::async(std::launch::async, [url, timeout = timeout_] {
      Scrape scrape{.at = absl::Now(), .exposition = absl::UnknownError("")};
      absl::StatusOr<std::string> text = ScrapeText(url, timeout);
      scrape.exposition = text.ok() ? ParseExposition(*text)
                                    : absl::StatusOr<Exposition>(text.status());
      return scrape;
    }));
  }
  return scrapes;
}

void ServerMetricsRecorder::WindowStart(int step) {
  if (!urls_.empty()) {
    starts_[step] = StartAll();
  }
}

void ServerMetricsRecorder::WindowEnd(int step) {
  if (!urls_.empty()) {
    ends_[step] = StartAll();
  }
}

void ServerMetricsRecorder::AddTo(pb::Step* step) {
  for (pb::ServerMetrics& metrics : Collect(step->index())) {
    *step->add_server_metrics() = std::move(metrics);
  }
}

void WarnAboutSilentEndpoints(const std::vector<MetricsUrl>& urls) {
  for (const MetricsUrl& url : urls) {
    absl::StatusOr<std::string> text = ScrapeText(url, absl::Seconds(2));
    absl::Status status = text.status();
    if (text.ok()) {
      status = ParseExposition(*text).status();
    }
    if (!status.ok()) {
      std::cerr << "warning: --metrics_url " << url.target << "=" << url.url
                << ": " << status.message()
                << " (the run goes on; each step records its failed scrapes)"
                << std::endl;
    }
  }
}

RunHooks ServerMetricsHooks(const RunConfig& config) {
  if (config.metrics_urls.empty()) {
    return {};
  }
  return {.before_load =
              [urls = config.metrics_urls] { WarnAboutSilentEndpoints(urls); },
          .observer_for = [urls = config.metrics_urls](const Target& target)
              -> std::unique_ptr<StepObserver> {
            std::vector<MetricsUrl> mine;
            for (const MetricsUrl& url : urls) {
              if (url.target == target.name) {
                mine.push_back(url);
              }
            }
            if (mine.empty()) {
              return nullptr;
            }
            return std::make_unique<ServerMetricsRecorder>(std::move(mine));
          }};
}

std::vector<pb::ServerMetrics> ServerMetricsRecorder::Collect(int step) {
  std::vector<pb::ServerMetrics> out;
  auto starts = starts_.find(step);
  auto ends = ends_.find(step);
  if (starts == starts_.end() || ends == ends_.end()) {
    return out;
  }
  for (size_t i = 0; i < urls_.size(); ++i) {
    const Scrape start = starts->second[i].get();
    const Scrape end = ends->second[i].get();
    pb::ServerMetrics& metrics = out.emplace_back();
    metrics.set_url(urls_[i].url);
    std::vector<std::string> errors;
    if (!start.exposition.ok()) {
      errors.push_back(absl::StrCat(
          "scrape at ", Now8601Ms(start.at),
          " (window start) failed: ", start.exposition.status().message()));
    }
    if (!end.exposition.ok()) {
      errors.push_back(absl::StrCat(
          "scrape at ", Now8601Ms(end.at),
          " (window end) failed: ", end.exposition.status().message()));
    }
    if (!errors.empty()) {
      if (end.exposition.ok()) {
        // The gauges at the end are still known; increases are not.
        ComputeServerMetrics(Exposition(), *end.exposition, 0, &metrics);
        metrics.clear_rpcs_by_code();
        metrics.clear_rpcs_by_method_code();
        metrics.clear_latency();
        metrics.clear_latency_by_method();
        metrics.clear_process_cpu_cores();
      }
      metrics.set_error(absl::StrJoin(errors, "; "));
      metrics.set_window_s(absl::ToDoubleSeconds(end.at - start.at));
      continue;
    }
    ComputeServerMetrics(*start.exposition, *end.exposition,
                         absl::ToDoubleSeconds(end.at - start.at), &metrics);
  }
  starts_.erase(starts);
  ends_.erase(ends);
  return out;
}

}  // namespace asyncgrpc::loadgen
