// The linking code's page: its Print button opens the browser's print dialog.
document.getElementById("print")?.addEventListener("click", () => window.print());
