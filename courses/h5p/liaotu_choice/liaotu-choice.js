/**
 * H5P.LiaotuChoice 1.0: one multiple-choice question (Liaotu Commons' own content type).
 *
 * Real radio buttons (one correct answer) or checkboxes (several), each with its label, in a
 * fieldset whose legend is the question; a Check button; the result in a polite live region so
 * screen readers announce it. Checking sends xAPI "answered" with the score through H5P's
 * EventDispatcher (triggerXAPIScored); getCurrentState() lets H5P save an unfinished or
 * finished attempt and extras.previousState brings it back. Every interface text comes from
 * params.l10n (semantics.json, English defaults, language/zh-hans.json).
 *
 * All texts are inserted with textContent: content params are data, never markup.
 */
var H5P = window.H5P = window.H5P || {};

H5P.LiaotuChoice = (function (EventDispatcher) {
  "use strict";

  var DEFAULT_L10N = {
    checkAnswer: "Check",
    retry: "Try again",
    chooseOne: "Choose one answer.",
    chooseAll: "Choose every correct answer.",
    noAnswer: "Choose an answer first.",
    correct: "Correct!",
    incorrect: "Not quite.",
    score: "You got @score of @total points.",
    rightAnswer: "Correct answer",
    wrongAnswer: "Wrong answer"
  };
  var instances = 0;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /**
   * @param {object} params content.json: question, answers[{text, correct, feedback}],
   *   behaviour.enableRetry, l10n
   * @param {string|number} contentId
   * @param {object} [extras] previousState: what getCurrentState() returned earlier
   */
  function LiaotuChoice(params, contentId, extras) {
    EventDispatcher.call(this);
    params = params || {};
    extras = extras || {};
    this.contentId = contentId;
    this.question = String(params.question || "");
    this.answers = (Array.isArray(params.answers) ? params.answers : []).map(function (a) {
      a = a || {};
      return { text: String(a.text || ""), correct: a.correct === true, feedback: String(a.feedback || "") };
    });
    this.l10n = {};
    var l10n = params.l10n || {};
    for (var key in DEFAULT_L10N) {
      this.l10n[key] = typeof l10n[key] === "string" && l10n[key] ? l10n[key] : DEFAULT_L10N[key];
    }
    this.enableRetry = !(params.behaviour && params.behaviour.enableRetry === false);
    this.multiple = this.answers.filter(function (a) { return a.correct; }).length !== 1;
    this.selected = [];
    this.checked = false;
    instances += 1;
    this.uid = "liaotu-choice-" + instances;

    var state = extras.previousState;
    if (state && Array.isArray(state.selected)) {
      var count = this.answers.length;
      this.selected = state.selected.filter(function (i) {
        return typeof i === "number" && i >= 0 && i < count && i === Math.floor(i);
      });
      if (!this.multiple) this.selected = this.selected.slice(0, 1);
      this.checked = state.checked === true && this.selected.length > 0;
    }
  }

  LiaotuChoice.prototype = Object.create(EventDispatcher.prototype);
  LiaotuChoice.prototype.constructor = LiaotuChoice;

  /** Build the activity in H5P's container (a jQuery object). */
  LiaotuChoice.prototype.attach = function ($container) {
    var self = this;
    var container = $container.get ? $container.get(0) : $container;
    container.classList.add("h5p-liaotu-choice");
    container.textContent = "";

    // No <form>: a form cannot be submitted in a sandboxed frame without allow-forms, and the
    // player runs in one. The Check button is a plain button.
    var form = element("div", "h5p-liaotu-choice-form");
    var fieldset = element("fieldset");
    var legend = element("legend", "h5p-liaotu-choice-question", this.question);
    var hintId = this.uid + "-hint";
    var hint = element("p", "h5p-liaotu-choice-hint", this.multiple ? this.l10n.chooseAll : this.l10n.chooseOne);
    hint.id = hintId;
    fieldset.setAttribute("aria-describedby", hintId);
    fieldset.appendChild(legend);
    fieldset.appendChild(hint);

    var list = element("ul", "h5p-liaotu-choice-answers");
    this.rows = this.answers.map(function (answer, index) {
      var item = element("li", "h5p-liaotu-choice-answer");
      var input = element("input");
      input.type = self.multiple ? "checkbox" : "radio";
      input.name = self.uid;
      input.id = self.uid + "-" + index;
      input.value = String(index);
      input.checked = self.selected.indexOf(index) !== -1;
      input.addEventListener("change", function () { self.readSelection(); });
      var label = element("label", null, answer.text);
      label.setAttribute("for", input.id);
      var mark = element("span", "h5p-liaotu-choice-mark");
      var feedback = element("span", "h5p-liaotu-choice-answer-feedback");
      item.appendChild(input);
      item.appendChild(label);
      item.appendChild(mark);
      item.appendChild(feedback);
      list.appendChild(item);
      return { item: item, input: input, mark: mark, feedback: feedback };
    });
    fieldset.appendChild(list);
    form.appendChild(fieldset);

    var buttons = element("div", "h5p-liaotu-choice-buttons");
    this.checkButton = element("button", "h5p-liaotu-choice-check", this.l10n.checkAnswer);
    this.checkButton.type = "button";
    this.retryButton = element("button", "h5p-liaotu-choice-retry", this.l10n.retry);
    this.retryButton.type = "button";
    this.retryButton.hidden = true;
    buttons.appendChild(this.checkButton);
    buttons.appendChild(this.retryButton);
    form.appendChild(buttons);

    this.status = element("div", "h5p-liaotu-choice-feedback");
    this.status.setAttribute("role", "status");
    this.status.setAttribute("aria-live", "polite");
    form.appendChild(this.status);

    this.checkButton.addEventListener("click", function () {
      self.check();
    });
    this.retryButton.addEventListener("click", function () {
      self.resetTask();
      if (self.rows.length) self.rows[0].input.focus();
    });
    container.appendChild(form);

    if (this.checked) this.showResult();
    this.trigger("resize");
  };

  LiaotuChoice.prototype.readSelection = function () {
    this.selected = [];
    for (var i = 0; i < this.rows.length; i++) {
      if (this.rows[i].input.checked) this.selected.push(i);
    }
    if (!this.checked) this.status.textContent = "";
  };

  /** Score and tell the learner; send xAPI "answered" with the score. */
  LiaotuChoice.prototype.check = function () {
    this.readSelection();
    if (!this.selected.length) {
      this.status.textContent = this.l10n.noAnswer;
      this.trigger("resize");
      return;
    }
    this.checked = true;
    this.showResult();
    // The check button is gone now: keep keyboard focus in the activity, on "try again" or
    // on the result itself, never dropped to the page.
    if (!this.retryButton.hidden) {
      this.retryButton.focus();
    } else {
      this.status.setAttribute("tabindex", "-1");
      this.status.focus();
    }
    var score = this.getScore();
    var max = this.getMaxScore();
    this.triggerXAPIScored(score, max, "answered", true, score === max);
  };

  LiaotuChoice.prototype.showResult = function () {
    var self = this;
    var score = this.getScore();
    var max = this.getMaxScore();
    this.rows.forEach(function (row, index) {
      var answer = self.answers[index];
      var chosen = self.selected.indexOf(index) !== -1;
      row.input.disabled = true;
      row.item.classList.toggle("h5p-liaotu-choice-right", chosen && answer.correct);
      row.item.classList.toggle("h5p-liaotu-choice-wrong", chosen && !answer.correct);
      row.mark.textContent = chosen ? (answer.correct ? self.l10n.rightAnswer : self.l10n.wrongAnswer) : "";
      row.feedback.textContent = chosen ? answer.feedback : "";
    });
    this.checkButton.hidden = true;
    this.retryButton.hidden = !this.enableRetry;
    var message = (score === max ? this.l10n.correct : this.l10n.incorrect) + " " +
      this.l10n.score.replace("@score", String(score)).replace("@total", String(max));
    this.status.textContent = message;
    this.trigger("resize");
  };

  /** H5P's question contract: score of the current selection. */
  LiaotuChoice.prototype.getScore = function () {
    var self = this;
    if (!this.multiple) {
      return this.selected.length === 1 && this.answers[this.selected[0]].correct ? 1 : 0;
    }
    var points = 0;
    this.selected.forEach(function (index) { points += self.answers[index].correct ? 1 : -1; });
    return Math.max(0, points);
  };

  LiaotuChoice.prototype.getMaxScore = function () {
    if (!this.multiple) return 1;
    return this.answers.filter(function (a) { return a.correct; }).length;
  };

  LiaotuChoice.prototype.getAnswerGiven = function () {
    return this.selected.length > 0;
  };

  LiaotuChoice.prototype.showSolutions = function () {
    var self = this;
    this.rows.forEach(function (row, index) {
      if (self.answers[index].correct) row.mark.textContent = self.l10n.rightAnswer;
      row.input.disabled = true;
    });
    this.trigger("resize");
  };

  LiaotuChoice.prototype.resetTask = function () {
    this.selected = [];
    this.checked = false;
    if (!this.rows) return;
    this.rows.forEach(function (row) {
      row.input.checked = false;
      row.input.disabled = false;
      row.item.classList.remove("h5p-liaotu-choice-right", "h5p-liaotu-choice-wrong");
      row.mark.textContent = "";
      row.feedback.textContent = "";
    });
    this.checkButton.hidden = false;
    this.retryButton.hidden = true;
    this.status.textContent = "";
    this.trigger("resize");
  };

  /** What H5P saves for the learner: the chosen answers and whether they were checked. */
  LiaotuChoice.prototype.getCurrentState = function () {
    return { selected: this.selected.slice(), checked: this.checked };
  };

  LiaotuChoice.prototype.getTitle = function () {
    return this.question;
  };

  return LiaotuChoice;
})(H5P.EventDispatcher);
