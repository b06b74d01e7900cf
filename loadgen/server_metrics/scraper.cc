#include "loadgen/server_metrics/scraper.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace asyncgrpc::loadgen {
namespace {

// Far above any real exposition (a few hundred KiB at most).
constexpr size_t kMostBytes = 32 << 20;

struct EasyCleanup {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using EasyHandle = std::unique_ptr<CURL, EasyCleanup>;

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, SlistFree>;

// curl_global_init must run before the first handle is made and must not race
// with itself; a function-local static makes that once, on whichever thread
// scrapes first. Never cleaned up: a scrape may run until the process exits.
absl::Status InitCurlOnce() {
  static const CURLcode kInit = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (kInit != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("curl_global_init: ", curl_easy_strerror(kInit)));
  }
  return absl::OkStatus();
}

struct Body {
  std::string text;
  bool too_large = false;
};

// CURLOPT_WRITEFUNCTION: appends what arrived; past kMostBytes, returns less
// than it was given, which makes libcurl abort the transfer.
size_t Append(char* data, size_t size, size_t count, void* user) {
  Body* body = static_cast<Body*>(user);
  const size_t bytes = size * count;
  if (body->text.size() + bytes > kMostBytes) {
    body->too_large = true;
    return 0;
  }
  body->text.append(data, bytes);
  return bytes;
}

std::string HttpUrl(const MetricsUrl& url) {
  const bool v6 = absl::StrContains(url.host, ':');
  return absl::StrCat("http://", v6 ? "[" : "", url.host, v6 ? "]" : "", ":",
                      url.port, url.path);
}

// "Accept" asks for the Prometheus text format first and takes anything else
// (the parser reads OpenMetrics too); "Connection: close" since the handle,
// and its connection, end with the scrape.
absl::StatusOr<HeaderList> RequestHeaders() {
  HeaderList headers;
  for (const char* header : {"Accept: text/plain;version=0.0.4;q=1,*/*;q=0.1",
                             "Connection: close"}) {
    curl_slist* longer = curl_slist_append(headers.get(), header);
    if (longer == nullptr) {
      return absl::ResourceExhaustedError("curl_slist_append failed");
    }
    // `longer` is the list's head: the old one, or the first node.
    headers.release();
    headers.reset(longer);
  }
  return headers;
}

// The scrape's options: the first setopt error, or CURLE_OK.
CURLcode Configure(CURL* curl, const std::string& url, curl_slist* headers,
                   absl::Duration timeout, Body* body, char* error) {
  // 0 would mean no timeout at all.
  const long timeout_ms = static_cast<long>(std::max<int64_t>(
      1,
      absl::ToInt64Milliseconds(absl::Ceil(timeout, absl::Milliseconds(1)))));
  for (const CURLcode rc : {
           curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error),
           curl_easy_setopt(curl, CURLOPT_URL, url.c_str()),
           // Plain HTTP only; a redirect is reported as its status.
           curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http"),
           curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L),
           // Straight to the service: an http_proxy set for the outside
           // world (CI, corporate networks) must not carry the scrapes.
           curl_easy_setopt(curl, CURLOPT_PROXY, ""),
           // Signals (SIGALRM for timeouts) are no use in a threaded program.
           curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L),
           curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms),
           // No HTTP/2 upgrade attempt: a metrics endpoint speaks HTTP/1.1.
           curl_easy_setopt(curl, CURLOPT_HTTP_VERSION,
                            static_cast<long>(CURL_HTTP_VERSION_1_1)),
           // The path exactly as given ("/../" kept), as --metrics_url says.
           curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L),
           curl_easy_setopt(curl, CURLOPT_USERAGENT, "asyncgrpc-loadgen"),
           // Compressing a few hundred KiB on the service costs it CPU that
           // the step's figures would then include.
           curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "identity"),
           curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers),
           curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append),
           curl_easy_setopt(curl, CURLOPT_WRITEDATA, body),
       }) {
    if (rc != CURLE_OK) {
      return rc;
    }
  }
  return CURLE_OK;
}

absl::Status TransferError(CURLcode rc, const char* error, const Body& body) {
  if (body.too_large) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad HTTP response: body over ", kMostBytes >> 20, " MiB"));
  }
  const std::string why = error[0] != '\0' ? error : curl_easy_strerror(rc);
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError(why);
  }
  return absl::UnavailableError(why);
}

}  // namespace

absl::StatusOr<std::string> ScrapeText(const MetricsUrl& url,
                                       absl::Duration timeout) {
  if (absl::Status init = InitCurlOnce(); !init.ok()) {
    return init;
  }
  const EasyHandle curl(curl_easy_init());
  if (curl == nullptr) {
    return absl::InternalError("curl_easy_init failed");
  }
  absl::StatusOr<HeaderList> headers = RequestHeaders();
  if (!headers.ok()) {
    return headers.status();
  }
  const std::string address = HttpUrl(url);
  Body body;
  char error[CURL_ERROR_SIZE] = "";
  if (const CURLcode rc =
          Configure(curl.get(), address, headers->get(), timeout, &body, error);
      rc != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("curl_easy_setopt: ", curl_easy_strerror(rc)));
  }
  if (const CURLcode rc = curl_easy_perform(curl.get()); rc != CURLE_OK) {
    return TransferError(rc, error, body);
  }
  long status = 0;
  if (const CURLcode rc =
          curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
      rc != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("curl_easy_getinfo: ", curl_easy_strerror(rc)));
  }
  if (status != 200) {
    return absl::UnavailableError(absl::StrCat("HTTP status ", status));
  }
  return std::move(body.text);
}

}  // namespace asyncgrpc::loadgen
