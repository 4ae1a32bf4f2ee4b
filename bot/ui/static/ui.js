// Inline edits for the action-item table. Without JavaScript the same forms post and reload.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-inline")) return;
  event.preventDefault();
  const status = document.getElementById("status");
  const row = form.closest("tr");
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    });
    const text = await response.text();
    if (!response.ok) {
      showError(form, text);
      return;
    }
    const template = document.createElement("template");
    template.innerHTML = text.trim();
    const fresh = template.content.querySelector("tr");
    if (row && fresh) {
      row.replaceWith(fresh);
      const label = fresh.querySelector("[data-label='State'] .state");
      if (status) status.textContent = `Action item #${fresh.id.replace("item-", "")} is now ${label ? label.textContent : "changed"}.`;
      const focusable = fresh.querySelector("button, summary, a");
      if (focusable) focusable.focus();
    }
  } catch (error) {
    showError(form, "Could not reach the server; try again.");
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
});

function showError(form, text) {
  let message = form.parentElement.querySelector(".inline-error");
  if (!message) {
    message = document.createElement("p");
    message.className = "inline-error late";
    message.setAttribute("role", "alert");
    form.parentElement.appendChild(message);
  }
  message.textContent = text;
}
