// A value, or the reason it could not be had (std::expected is C++23). The
// core's result<T> carries a broken rule; the Win32 layer's outcome<T>
// carries a classified pipe failure.
#pragma once

#include <utility>
#include <variant>

namespace netipc {

template <class T, class Reason>
class value_or {
 public:
  value_or(T value) : state_(std::move(value)) {}
  value_or(Reason reason) : state_(std::move(reason)) {}

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 protected:
  const Reason& reason() const { return std::get<Reason>(state_); }

 private:
  std::variant<T, Reason> state_;
};

// For operations whose success carries nothing.
struct nothing {};

}  // namespace netipc
