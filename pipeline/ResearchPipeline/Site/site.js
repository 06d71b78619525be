// Search and sort for the app list. The page reads the same without script: the list is already in order and
// the search box stays hidden.
(function () {
  var table = document.getElementById('app-list');
  var form = document.getElementById('app-search');
  if (!table || !form) return;
  var body = table.tBodies[0];
  var input = document.getElementById('app-query');
  var status = document.getElementById('app-count');
  form.hidden = false;
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  input.addEventListener('input', function () {
    var query = input.value.trim().toLowerCase();
    var shown = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var hit = row.textContent.toLowerCase().indexOf(query) >= 0;
      row.hidden = !hit;
      if (hit) shown++;
    });
    status.textContent = shown + (shown === 1 ? ' app' : ' apps') + ' shown';
  });
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, column) {
    var button = document.createElement('button');
    button.type = 'button';
    button.textContent = th.textContent;
    th.textContent = '';
    th.appendChild(button);
    button.addEventListener('click', function () {
      var ascending = th.getAttribute('aria-sort') !== 'ascending';
      Array.prototype.forEach.call(heads, function (other) { other.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a.cells[column]), y = key(b.cells[column]);
        return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  function key(cell) {
    var text = cell.getAttribute('data-sort') || cell.textContent;
    var number = Number(text.replace(/,/g, ''));
    return text !== '' && !isNaN(number) ? number : text.toLowerCase();
  }
})();
