/* Contest form: "Add a criterion" appends a blank rubric row, made from the page's <template data-rubric-template>
   (the server's blank row, its fields named criteria-__index__-…) with the next free index, as WTForms'
   FieldList reads them. The server takes any number of rows; without this script each save that comes back
   offers one blank row. */
(function () {
  'use strict';
  var button = document.querySelector('[data-add-criterion]');
  var rows = document.querySelector('[data-rubric-rows]');
  var template = document.querySelector('template[data-rubric-template]');
  if (!button || !rows || !template) return;

  function nextIndex() {
    var highest = -1;
    rows.querySelectorAll('[name^="criteria-"]').forEach(function (input) {
      var match = /^criteria-(\d+)-/.exec(input.name);
      if (match) highest = Math.max(highest, parseInt(match[1], 10));
    });
    return highest + 1;
  }

  button.hidden = false;
  button.addEventListener('click', function () {
    rows.insertAdjacentHTML('beforeend', template.innerHTML.replace(/__index__/g, String(nextIndex())));
    var name = rows.lastElementChild && rows.lastElementChild.querySelector('[name$="-name"]');
    if (name) name.focus();
  });
})();
